// Builder for kind 'c': `zig cc -target <triple> -O2 -static -o <out> <sources>`.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { artifactPath, placeArtifact } from './artifact.js';
import { BuildError, formatCommand, runChecked, runProcess } from './exec.js';
import { parseZigTarget } from './targets.js';
import { defaultZigCacheDir, resolveZig, zigCacheEnv } from './zig.js';
import type { Artifact, BuildOptions, CBuildConfig, CommandSpec } from './types.js';

/** Expands the configured sources: files as given, directories to their *.c files (sorted). */
export async function expandCSources(sources: string[], cwd: string): Promise<string[]> {
  if (sources.length === 0) throw new BuildError('build kind c: `sources` is empty');
  const files: string[] = [];
  for (const source of sources) {
    const path = resolve(cwd, source);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new BuildError(`build kind c: source "${source}" not found (looked in ${path})`);
    if (info.isDirectory()) {
      const entries = (await readdir(path)).filter((f) => f.endsWith('.c')).sort();
      if (entries.length === 0) throw new BuildError(`build kind c: no *.c files in directory "${source}"`);
      files.push(...entries.map((f) => join(path, f)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/** Default binary name: the first source's base name (a directory's own name). */
export function defaultCName(sources: string[]): string {
  const first = sources[0] ?? 'app';
  return basename(first, extname(first)) || 'app';
}

/**
 * The zig cc command for one target. glibc targets cannot be linked statically (zig links glibc
 * dynamically against the pinned version's symbols), so -static only goes to musl targets.
 */
export function cCommand(input: {
  zig: string;
  target: string;
  files: string[];
  output: string;
  cwd: string;
  cflags?: string[];
  strip?: boolean;
  cacheDir: string;
}): CommandSpec {
  const { abi } = parseZigTarget(input.target);
  const staticFlag = abi.startsWith('musl') ? ['-static'] : [];
  return {
    command: input.zig,
    args: [
      'cc',
      '-target',
      input.target,
      '-O2',
      ...staticFlag,
      ...(input.cflags ?? []),
      ...(input.strip ? ['-s'] : []),
      '-o',
      input.output,
      ...input.files,
    ],
    cwd: input.cwd,
    env: zigCacheEnv(input.cacheDir),
  };
}

export async function buildC(config: CBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const run = options.run ?? runProcess;
  const zig = options.zigPath ?? (await resolveZig({ env: options.env, run, ...(options.onProgress && { log: options.onProgress }) })).path;
  const cacheDir = options.zigCacheDir ?? defaultZigCacheDir(options.env);
  const files = await expandCSources(config.sources, options.cwd);
  const name = config.name ?? defaultCName(config.sources);
  const artifacts: Artifact[] = [];
  for (const target of config.targets) {
    const output = artifactPath(options.outDir, target, name);
    await mkdir(dirname(output), { recursive: true });
    const spec = cCommand({ zig, target, files, output, cwd: options.cwd, cflags: config.cflags, strip: config.strip, cacheDir });
    options.onProgress?.(`c: building ${name} for ${target}: ${formatCommand(spec)}`);
    await runChecked(run, spec, `zig cc for ${target}`);
    artifacts.push(await placeArtifact(output, options.outDir, target, name));
  }
  return artifacts;
}
