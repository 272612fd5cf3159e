// The checked-in agent binaries (agent/prebuilt/) are what the pinned zig makes of today's
// sources: rebuilt here from a copy of agent/src with the real zig (never a cached build) and
// compared byte for byte. A prebuilt binary that is not is a failure naming the target and the
// command that regenerates it; the build uses a prebuilt binary only while its key matches.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_BINARY_NAME, agentCConfig, agentPrebuiltDir, agentSourceDir } from '../../../src/build/agent.js';
import { prebuiltBinaryPath, readPrebuiltManifest } from '../../../src/build/agent-cache.js';
import { buildArtifacts, resolveZig } from '../../../src/build/index.js';
import { buildC } from '../../../src/build/c.js';
import { ZIG_CACHE } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'vt-agent-prebuilt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const REGENERATE = 'npx tsx scripts/prebuild-agent.ts';

describe('checked prebuilt agent', () => {
  it('is byte for byte what the pinned zig builds from a copy of today\'s sources', async () => {
    const manifest = await readPrebuiltManifest(agentPrebuiltDir());
    expect(manifest, 'agent/prebuilt/manifest.json').toBeDefined();
    const zig = await resolveZig();
    expect(zig.version, `the prebuilt agent is built with zig ${manifest!.zig}`).toBe(manifest!.zig);
    const copy = join(work, 'src');
    cpSync(agentSourceDir(), copy, { recursive: true });
    const config = agentCConfig(['x86_64', 'aarch64'], copy);
    const fresh = await buildC(config, { cwd: copy, outDir: join(work, 'fresh'), zigPath: zig.path, zigCacheDir: ZIG_CACHE });
    for (const artifact of fresh) {
      const entry = manifest!.targets[artifact.target];
      expect(entry, `agent/prebuilt has no ${artifact.target}: run ${REGENERATE}`).toBeDefined();
      expect(artifact.sha256, `agent/prebuilt/${artifact.target} is not what zig builds from agent/src: run ${REGENERATE}`).toBe(entry!.sha256);
      expect(readFileSync(artifact.path).equals(readFileSync(prebuiltBinaryPath(agentPrebuiltDir(), artifact.target, AGENT_BINARY_NAME)))).toBe(true);
    }
  }, 600_000);

  it('is what the agent build hands out, without running zig', async () => {
    const manifest = await readPrebuiltManifest(agentPrebuiltDir());
    // A zig that cannot run: if the build needed zig, it would fail here.
    const artifacts = await buildArtifacts({ kind: 'agent', arches: ['x86_64', 'aarch64'] }, { cwd: work, outDir: join(work, 'out'), zigPath: join(work, 'no-such-zig'), zigCacheDir: join(work, 'empty-cache') });
    for (const a of artifacts) expect(a.sha256).toBe(manifest!.targets[a.target]!.sha256);
  });
});
