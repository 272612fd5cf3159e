// Builder for kind 'go': cgo on, `zig cc -target <triple>` as the C compiler, GOOS/GOARCH from
// the triple. `go build -trimpath -o <out> <package>`.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { artifactPath, placeArtifact } from './artifact.js';
import { BuildError, formatCommand, runChecked, runProcess } from './exec.js';
import { shellQuote } from '../shell/quote.js';
import { goEnvOf } from './targets.js';
import { defaultZigCacheDir, findOnPath, resolveZig, zigCacheEnv } from './zig.js';
import type { Artifact, BuildOptions, CommandSpec, GoBuildConfig } from './types.js';

/** Default binary name: the package directory's base name ("./cmd/node" -> "node"). */
export function defaultGoName(pkg: string | undefined, cwd: string): string {
  return basename(resolve(cwd, pkg ?? '.')) || 'app';
}

/** The go command for one target. Pure. */
export function goCommand(input: {
  zig: string;
  target: string;
  config: GoBuildConfig;
  output: string;
  cwd: string;
  cacheDir: string;
}): CommandSpec {
  // Go splits CC on spaces honouring quotes, so the zig path is quoted when it needs it.
  const cc = `${shellQuote(input.zig)} cc -target ${input.target}`;
  const args = ['build', '-trimpath', '-o', input.output];
  if (input.config.ldflags) args.push('-ldflags', input.config.ldflags);
  if (input.config.tags?.length) args.push('-tags', input.config.tags.join(','));
  args.push(input.config.package ?? '.');
  return {
    command: 'go',
    args,
    cwd: input.cwd,
    env: { CGO_ENABLED: '1', CC: cc, CXX: `${shellQuote(input.zig)} c++ -target ${input.target}`, ...goEnvOf(input.target), ...zigCacheEnv(input.cacheDir) },
  };
}

export async function buildGo(config: GoBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const run = options.run ?? runProcess;
  const env = options.env ?? process.env;
  if (!options.run && !findOnPath('go', env)) {
    throw new BuildError('build kind go: go not found on PATH (install Go 1.21+: https://go.dev/dl/)');
  }
  const zig = options.zigPath ?? (await resolveZig({ env, run, ...(options.onProgress && { log: options.onProgress }) })).path;
  const cacheDir = options.zigCacheDir ?? defaultZigCacheDir(env);
  const name = config.name ?? defaultGoName(config.package, options.cwd);
  const artifacts: Artifact[] = [];
  for (const target of config.targets) {
    const output = artifactPath(options.outDir, target, name);
    await mkdir(dirname(output), { recursive: true });
    const spec = goCommand({ zig, target, config, output, cwd: options.cwd, cacheDir });
    options.onProgress?.(`go: building ${name} for ${target}: ${formatCommand(spec)}`);
    await runChecked(run, spec, `go build for ${target}`);
    artifacts.push(await placeArtifact(output, options.outDir, target, name));
  }
  return artifacts;
}
