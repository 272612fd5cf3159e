// The pinned zig for the build action: downloaded from ziglang.org's archive layout into the
// runner's tool cache, its SHA-256 checked before anything is unpacked, and kept in the Actions
// cache so later jobs skip the download (docs/architecture.md "Zig in Actions").
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CacheClient } from '../../report/sinks/baseline.js';

export const PINNED_ZIG = '0.11.0';
/** SHA-256 of ziglang.org's x86_64-linux tarball per version (from its download index). */
export const ZIG_SHA256: Readonly<Record<string, string>> = {
  '0.11.0': '2d00e789fec4f71790a6e7bf83ff91d564943c5ee843c5fd966efc474b423047',
};
export const ZIG_MIRROR = 'https://ziglang.org/download';

/** ziglang.org's names: zig-linux-x86_64-V up to 0.14.0, zig-x86_64-linux-V after. */
export function zigArchive(version: string): { file: string; dir: string } {
  const [maj = 0, min = 0, patch = 0] = version.split(/[.-]/).map((x) => Number(x) || 0);
  const newer = maj > 0 || min > 14 || (min === 14 && patch >= 1);
  const dir = newer ? `zig-x86_64-linux-${version}` : `zig-linux-x86_64-${version}`;
  return { file: `${dir}.tar.xz`, dir };
}

export interface SetupZigInput {
  version: string;
  sha256?: string;
  mirror?: string;
  toolCache: string;
  cache?: CacheClient;
  log?: (line: string) => void;
}

export interface SetupZigResult {
  dir: string;
  source: 'tool-cache' | 'cache' | 'download';
}

export const zigCacheKey = (version: string): string => `vps-test-zig-${version}-linux-x64`;

const tarExtract = (archive: string, into: string): Promise<void> =>
  new Promise((res, rej) => execFile('tar', ['-xJf', archive, '-C', into], (err, _o, e) => (err ? rej(new Error(`unpacking ${archive} failed: ${e || err.message}`)) : res())));

export async function setupZig(input: SetupZigInput): Promise<SetupZigResult> {
  const log = input.log ?? (() => {});
  const dir = join(input.toolCache, 'zig', input.version, 'x64');
  const complete = `${dir}.complete`;
  if (existsSync(complete) && existsSync(join(dir, 'zig'))) return { dir, source: 'tool-cache' };
  const key = zigCacheKey(input.version);
  if (input.cache && (await input.cache.restoreCache([dir], key)) && existsSync(join(dir, 'zig'))) {
    await writeFile(complete, '');
    return { dir, source: 'cache' };
  }
  const expected = input.sha256 || ZIG_SHA256[input.version];
  if (!expected) throw new Error(`zig ${input.version}: no pinned checksum; give zig-sha256 (from ziglang.org/download/index.json)`);
  const { file, dir: top } = zigArchive(input.version);
  const url = `${(input.mirror || ZIG_MIRROR).replace(/\/$/, '')}/${input.version}/${file}`;
  log(`downloading ${url}`);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`zig ${input.version}: GET ${url} answered ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected.toLowerCase()) throw new Error(`zig ${input.version}: checksum mismatch for ${url}: expected ${expected}, got ${actual}; nothing was installed`);
  await mkdir(input.toolCache, { recursive: true });
  const tmp = await mkdtemp(join(input.toolCache, '.zig-'));
  try {
    await writeFile(join(tmp, file), bytes);
    await tarExtract(join(tmp, file), tmp);
    if (!existsSync(join(tmp, top, 'zig'))) throw new Error(`zig ${input.version}: ${file} has no ${top}/zig`);
    await mkdir(dirname(dir), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(join(tmp, top), dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await writeFile(complete, '');
  if (input.cache) {
    try {
      await input.cache.saveCache([dir], key);
    } catch (err) {
      log(`zig not saved to the cache: ${(err as Error).message}`);
    }
  }
  return { dir, source: 'download' };
}
