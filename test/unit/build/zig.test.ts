import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultZigCacheDir, findNpmZig, resolveZig, zigCacheEnv } from '../../../src/build/zig.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-zig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveZig', () => {
  it('prefers zig on PATH and reports its version', async () => {
    writeFileSync(join(dir, 'zig'), '#!/bin/sh\necho 0.13.0\n');
    chmodSync(join(dir, 'zig'), 0o755);
    const zig = await resolveZig({ env: { PATH: dir } });
    expect(zig).toEqual({ path: join(dir, 'zig'), version: '0.13.0', source: 'path' });
  });
  it('falls back to the npm-packaged zig (the one this repo pins)', async () => {
    const zig = await resolveZig({ env: { PATH: '/nonexistent' } });
    expect(zig.source).toBe('npm');
    expect(zig.path).toBe(findNpmZig());
    expect(zig.version).toBe('0.11.0');
  });
  it('in GitHub Actions without any zig asks for the tool cache, which says it is offline', async () => {
    await expect(resolveZig({ env: { PATH: '/nonexistent', GITHUB_ACTIONS: 'true' }, findNpm: () => undefined })).rejects.toThrow(
      /zig 0\.11\.0 is not available offline/,
    );
  });
  it('elsewhere without any zig says what to install', async () => {
    await expect(resolveZig({ env: { PATH: '/nonexistent' }, findNpm: () => undefined })).rejects.toThrow(/zig not found: put zig/);
  });
});

describe('zig cache', () => {
  it('points both caches at one non-empty directory', () => {
    expect(zigCacheEnv('/c')).toEqual({ ZIG_GLOBAL_CACHE_DIR: '/c', ZIG_LOCAL_CACHE_DIR: '/c' });
    expect(defaultZigCacheDir({ ZIG_GLOBAL_CACHE_DIR: '/x' })).toBe('/x');
    expect(defaultZigCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/vps-test/zig');
  });
});
