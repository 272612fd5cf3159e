// Not rebuilding the reference agent when nothing that makes it has changed: a content key over
// its sources (every .c and .h), the zig cc arguments, the target and the zig version. A key
// names either the checked-in prebuilt binary (agent/prebuilt/, built once with the pinned zig,
// its bytes verified against a fresh build by test/integration/build/agent-prebuilt.test.ts) or
// an earlier build in the zig cache dir. See docs/architecture.md, "Agent build cache".
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256File } from './artifact.js';
import { cCommand } from './c.js';
import { targetDirName } from './targets.js';
import type { CBuildConfig } from './types.js';

export interface SourceFile {
  name: string;
  content: Buffer;
}

/** The agent's sources as the key sees them: every .c and .h in the directory, by name. */
export async function readAgentSources(sourceDir: string): Promise<SourceFile[]> {
  const names = (await readdir(sourceDir)).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  return Promise.all(names.map(async (name) => ({ name, content: await readFile(join(sourceDir, name)) })));
}

/**
 * The zig cc arguments for `target` with paths replaced by placeholders: the same sources built
 * from another directory (an npm install, a temp copy) get the same key. Pure.
 */
export function keyedArgs(config: CBuildConfig, target: string, sources: readonly SourceFile[]): string[] {
  const files = sources.filter((s) => s.name.endsWith('.c')).map((s) => `<src>/${s.name}`);
  const spec = cCommand({ zig: 'zig', target, files, output: '<out>', cwd: '<cwd>', cflags: config.cflags, strip: config.strip, cacheDir: '<cache>' });
  return spec.args;
}

/** sha256 over what decides the binary's bytes. Pure. */
export function agentContentKey(input: { sources: readonly SourceFile[]; args: readonly string[]; target: string; zigVersion: string }): string {
  const hash = createHash('sha256');
  hash.update(`vps-agent build key v1\0${input.target}\0${input.zigVersion}\0${input.args.join('\0')}\0`);
  for (const s of input.sources) hash.update(`${s.name}\0${createHash('sha256').update(s.content).digest('hex')}\0`);
  return hash.digest('hex');
}

export interface PrebuiltEntry {
  key: string;
  sha256: string;
  size: number;
}

/** agent/prebuilt/manifest.json: the zig version the binaries were built with, one entry per target. */
export interface PrebuiltManifest {
  zig: string;
  targets: Record<string, PrebuiltEntry>;
}

export const PREBUILT_MANIFEST = 'manifest.json';

export function prebuiltBinaryPath(prebuiltDir: string, target: string, name: string): string {
  return join(prebuiltDir, targetDirName(target), name);
}

/** The manifest, or undefined when there is none (a checkout without prebuilt binaries). */
export async function readPrebuiltManifest(prebuiltDir: string): Promise<PrebuiltManifest | undefined> {
  const path = join(prebuiltDir, PREBUILT_MANIFEST);
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(await readFile(path, 'utf8')) as PrebuiltManifest;
  if (typeof parsed.zig !== 'string' || typeof parsed.targets !== 'object' || parsed.targets === null) {
    throw new Error(`${path}: expected {zig, targets}`);
  }
  return parsed;
}

/** The prebuilt binary for `key`, when the manifest has it and its bytes are the recorded ones. */
export async function findPrebuilt(prebuiltDir: string, manifest: PrebuiltManifest, target: string, key: string, name: string): Promise<string | undefined> {
  const entry = manifest.targets[target];
  if (!entry || entry.key !== key) return undefined;
  const path = prebuiltBinaryPath(prebuiltDir, target, name);
  if (!existsSync(path)) return undefined;
  const sha = await sha256File(path);
  if (sha !== entry.sha256) throw new Error(`prebuilt agent ${path} has sha256 ${sha}, the manifest says ${entry.sha256}: the file was changed; rebuild it (npx tsx scripts/prebuild-agent.ts)`);
  return path;
}

/** Where a build with this key is kept: <zig cache>/vps-agent/<key>/<target>/<name>. */
export function cachedBuildPath(cacheDir: string, key: string, target: string, name: string): string {
  return join(cacheDir, 'vps-agent', key, targetDirName(target), name);
}

/** Keeps a fresh build under its key (temp name + rename: a concurrent reader never sees half). */
export async function storeCachedBuild(built: string, destination: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const temp = `${destination}.tmp-${process.pid}`;
  await copyFile(built, temp);
  await rename(temp, destination);
}
