// Entry point of the build action's zig step: the pinned zig on PATH for the build.
import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupZig, PINNED_ZIG } from '../common/zig.js';
import { cacheClient } from '../common/clients.js';

try {
  const version = core.getInput('zig-version') || PINNED_ZIG;
  const cache = await cacheClient();
  const r = await setupZig({
    version,
    sha256: core.getInput('zig-sha256'),
    mirror: core.getInput('zig-mirror'),
    toolCache: process.env.RUNNER_TOOL_CACHE ?? join(tmpdir(), 'tool-cache'),
    ...(cache && { cache }),
    log: core.info,
  });
  core.addPath(r.dir);
  core.setOutput('zig-path', join(r.dir, 'zig'));
  core.info(`zig ${version} from the ${r.source}: ${r.dir}`);
} catch (err) {
  core.setFailed((err as Error).message);
}
