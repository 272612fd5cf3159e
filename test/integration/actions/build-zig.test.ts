// The build action's zig step, run from dist/ under Node 24 as the composite step runs it,
// against a local HTTP server serving ziglang.org's archive layout: downloaded into the tool
// cache after a SHA-256 check, found there the next time, restored from the cache on a fresh
// runner; a wrong checksum installs nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJob } from '../../fakes/github/runner.js';
import { zigArchive } from '../../../src/actions/common/zig.js';

const ROOT = join(import.meta.dirname, '../../..');
const BUILD_ACTION = join(ROOT, 'actions/build');
const VERSION = '0.11.0';
let work: string;
let server: Server;
let mirror: string;
let sha256: string;
const requests: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vt-zig-'));
  // The same layout as ziglang.org: <mirror>/<version>/zig-linux-x86_64-<version>.tar.xz holding zig-linux-x86_64-<version>/zig
  const { file, dir } = zigArchive(VERSION);
  const tree = join(work, 'tree');
  mkdirSync(join(tree, dir, 'lib'), { recursive: true });
  writeFileSync(join(tree, dir, 'zig'), `#!/bin/sh\necho ${VERSION}\n`);
  chmodSync(join(tree, dir, 'zig'), 0o755);
  mkdirSync(join(work, 'mirror', VERSION), { recursive: true });
  execFileSync('tar', ['-cJf', join(work, 'mirror', VERSION, file), '-C', tree, dir]);
  sha256 = createHash('sha256').update(readFileSync(join(work, 'mirror', VERSION, file))).digest('hex');
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const path = join(work, 'mirror', decodeURIComponent(req.url ?? '').replace(/^\/download\//, ''));
    if (!existsSync(path)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/x-xz' }).end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/download`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(work, { recursive: true, force: true });
});

function zigStep(toolCache: string, cacheDir: string, sha = sha256) {
  const ws = join(work, `ws-${Math.random().toString(36).slice(2, 7)}`);
  mkdirSync(ws, { recursive: true });
  const job = new FakeJob({ actionDir: BUILD_ACTION, workspace: ws, eventName: 'push', env: { RUNNER_TOOL_CACHE: toolCache, VPS_TEST_LOCAL_CACHE_DIR: cacheDir } });
  // the step's env block of actions/build/action.yml
  return { job, run: () => job.runScript('../../dist/actions/setup-zig.js', { 'INPUT_ZIG-VERSION': VERSION, 'INPUT_ZIG-SHA256': sha, 'INPUT_ZIG-MIRROR': mirror }) };
}

describe('build action: pinned zig', () => {
  it('downloads into the tool cache once, checks the checksum, puts zig on PATH; then the tool cache, then the Actions cache on a fresh runner', async () => {
    const toolCache = join(work, 'tool-cache');
    const cache = join(work, 'cache');
    const first = zigStep(toolCache, cache);
    const r1 = await first.run();
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    const dir = join(toolCache, 'zig', VERSION, 'x64');
    expect(r1.stdout).toContain(`zig ${VERSION} from the download: ${dir}`);
    expect(first.job.addedPaths()).toEqual([dir]);
    expect(r1.outputs['zig-path']).toBe(join(dir, 'zig'));
    expect(execFileSync(join(dir, 'zig'), { encoding: 'utf8' }).trim()).toBe(VERSION);
    expect(requests).toEqual([`/download/${VERSION}/zig-linux-x86_64-${VERSION}.tar.xz`]);
    expect(readdirSync(cache).map(decodeURIComponent)).toEqual([`vps-test-zig-${VERSION}-linux-x64`]);

    const second = await zigStep(toolCache, cache).run();
    expect(second.stdout).toContain('from the tool-cache');
    rmSync(toolCache, { recursive: true, force: true }); // a fresh runner: same tool cache path, empty
    const fresh = await zigStep(toolCache, cache).run();
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('from the cache');
    expect(requests).toHaveLength(1);
  });

  it('a wrong checksum fails the step naming both sums and installs nothing', async () => {
    const toolCache = join(work, 'tool-cache-bad');
    const r = await zigStep(toolCache, join(work, 'cache-bad'), 'a'.repeat(64)).run();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`::error::zig ${VERSION}: checksum mismatch for ${mirror.replace(/[.]/g, '\\.')}/${VERSION}/zig-linux-x86_64-${VERSION}\\.tar\\.xz: expected a{64}, got ${sha256}; nothing was installed`));
    expect(existsSync(join(toolCache, 'zig'))).toBe(false);
  });

  it('names ziglang.org archives as the site does', () => {
    expect(zigArchive('0.11.0').file).toBe('zig-linux-x86_64-0.11.0.tar.xz');
    expect(zigArchive('0.14.0').file).toBe('zig-linux-x86_64-0.14.0.tar.xz');
    expect(zigArchive('0.14.1').file).toBe('zig-x86_64-linux-0.14.1.tar.xz');
    expect(zigArchive('0.15.2').file).toBe('zig-x86_64-linux-0.15.2.tar.xz');
  });
});
