// Builder for kind 'zig': `zig build -Dtarget=<triple> -Doptimize=ReleaseSafe`, installing into a
// per-target prefix (so targets never overwrite each other's zig-out/bin) and picking the binary.
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { placeArtifact } from './artifact.js';
import { BuildError, formatCommand, runChecked, runProcess } from './exec.js';
import { parseZigTarget, targetDirName } from './targets.js';
import { defaultZigCacheDir, resolveZig, zigCacheEnv } from './zig.js';
import type { Artifact, BuildOptions, CommandSpec, ZigBuildConfig } from './types.js';

/** The zig build command for one target; installs into `prefix` (its bin/ is the old zig-out/bin). Pure. */
export function zigBuildCommand(input: { zig: string; target: string; config: ZigBuildConfig; projectDir: string; prefix: string; cacheDir: string }): CommandSpec {
  parseZigTarget(input.target);
  return {
    command: input.zig,
    args: [
      'build',
      `-Dtarget=${input.target}`,
      `-Doptimize=${input.config.optimize ?? 'ReleaseSafe'}`,
      '--prefix',
      input.prefix,
      ...(input.config.args ?? []),
    ],
    cwd: input.projectDir,
    env: zigCacheEnv(input.cacheDir),
  };
}

/** Picks the binary from an install prefix's bin/: the configured name, or the only file. */
export function pickZigBinary(files: string[], name: string | undefined, where: string): string {
  if (name) {
    if (!files.includes(name)) throw new BuildError(`zig build installed no "${name}" in ${where} (found: ${files.join(', ') || 'nothing'})`);
    return name;
  }
  if (files.length === 1) return files[0] as string;
  throw new BuildError(`zig build installed ${files.length} files in ${where} (${files.join(', ') || 'none'}): set \`name\``);
}

export async function buildZigProject(config: ZigBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const run = options.run ?? runProcess;
  const zig = options.zigPath ?? (await resolveZig({ env: options.env, run, ...(options.onProgress && { log: options.onProgress }) })).path;
  const cacheDir = options.zigCacheDir ?? defaultZigCacheDir(options.env);
  const projectDir = resolve(options.cwd, config.projectDir ?? '.');
  const artifacts: Artifact[] = [];
  for (const target of config.targets) {
    const prefix = resolve(options.outDir, '.zig-out', targetDirName(target));
    const spec = zigBuildCommand({ zig, target, config, projectDir, prefix, cacheDir });
    options.onProgress?.(`zig: building for ${target}: ${formatCommand(spec)}`);
    await runChecked(run, spec, `zig build for ${target}`);
    const binDir = join(prefix, 'bin');
    const files = await readdir(binDir).catch(() => [] as string[]);
    const name = pickZigBinary(files, config.name, binDir);
    artifacts.push(await placeArtifact(join(binDir, name), options.outDir, target, name));
  }
  return artifacts;
}
