// Builder for kind 'cargo': `cargo zigbuild` when installed, else `cargo build` with our zig
// linker wrapper (linker-wrapper.ts). glibc is pinned with a suffix on the target
// (x86_64-unknown-linux-gnu.2.17); cargo itself gets the triple without it, so the binary lands
// in target/x86_64-unknown-linux-gnu/release/<bin>.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { placeArtifact } from './artifact.js';
import { BuildError, formatCommand, runChecked, runProcess } from './exec.js';
import { writeZigWrappers, type ZigWrappers } from './linker-wrapper.js';
import { cargoLinkerEnvName, ccEnvName, rustTargetOf, type RustTarget } from './targets.js';
import { defaultZigCacheDir, findOnPath, resolveZig, zigCacheEnv } from './zig.js';
import type { Artifact, BuildOptions, CargoBuildConfig, CommandRunner, CommandSpec } from './types.js';

/** The package name from a Cargo.toml's [package] section (enough for the default binary name). */
export function cargoPackageName(cargoToml: string): string | undefined {
  let inPackage = false;
  for (const raw of cargoToml.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inPackage = line === '[package]';
    const match = inPackage ? /^name\s*=\s*"([^"]+)"/.exec(line) : null;
    if (match) return match[1];
  }
  return undefined;
}

/** Missing rustup targets among `wanted`, given `rustup target list --installed` output. */
export function missingRustTargets(installedOutput: string, wanted: string[]): string[] {
  const installed = new Set(installedOutput.split('\n').map((l) => l.trim()).filter(Boolean));
  return [...new Set(wanted)].filter((t) => !installed.has(t));
}

export interface CargoCommandInput {
  target: RustTarget;
  config: CargoBuildConfig;
  manifestDir: string;
  targetDir: string;
  zig: string;
  cacheDir: string;
  /** cargo-zigbuild, or our wrappers. */
  via: { zigbuild: true } | { zigbuild: false; wrappers: ZigWrappers };
}

/** The cargo command for one target. Pure. */
export function cargoCommand(input: CargoCommandInput): CommandSpec {
  const { target, config, via } = input;
  const selection = [
    ...(config.package ? ['-p', config.package] : []),
    ...(config.bin ? ['--bin', config.bin] : []),
    ...(config.features?.length ? ['--features', config.features.join(',')] : []),
  ];
  const env: Record<string, string> = { CARGO_TARGET_DIR: input.targetDir, ...zigCacheEnv(input.cacheDir) };
  if (via.zigbuild) {
    // cargo-zigbuild understands the glibc suffix itself; point it at our zig.
    env.CARGO_ZIGBUILD_ZIG_PATH = input.zig;
    const zigbuildTarget = target.glibc ? `${target.rust}.${target.glibc}` : target.rust;
    return { command: 'cargo', args: ['zigbuild', '--release', '--target', zigbuildTarget, ...selection], cwd: input.manifestDir, env };
  }
  env[cargoLinkerEnvName(target.rust)] = via.wrappers.cc;
  env[ccEnvName(target.rust, 'CC')] = via.wrappers.cc;
  env[ccEnvName(target.rust, 'AR')] = via.wrappers.ar;
  return { command: 'cargo', args: ['build', '--release', '--target', target.rust, ...selection], cwd: input.manifestDir, env };
}

/** Fails with one message naming every `rustup target add` that is missing. Skipped without rustup. */
async function checkRustTargets(run: CommandRunner, targets: RustTarget[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (!findOnPath('rustup', env)) return; // rust from a distro package: cargo will say what's wrong
  const result = await run({ command: 'rustup', args: ['target', 'list', '--installed'], cwd });
  if (result.code !== 0) return;
  const missing = missingRustTargets(result.stdout, targets.map((t) => t.rust));
  if (missing.length > 0) {
    throw new BuildError(
      `Rust target${missing.length > 1 ? 's' : ''} not installed: ${missing.join(', ')}\n` +
        `fix: rustup target add ${missing.join(' ')}`,
    );
  }
}

export async function buildCargo(config: CargoBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const run = options.run ?? runProcess;
  const env = options.env ?? process.env;
  const manifestDir = resolve(options.cwd, config.manifestDir ?? '.');
  const targetDir = resolve(options.cwd, config.targetDir ?? join(manifestDir, 'target'));
  const cacheDir = options.zigCacheDir ?? defaultZigCacheDir(env);
  const cargoToml = await readFile(join(manifestDir, 'Cargo.toml'), 'utf8').catch(() => {
    throw new BuildError(`build kind cargo: no Cargo.toml in ${manifestDir}`);
  });
  const bin = config.bin ?? config.package ?? cargoPackageName(cargoToml);
  if (!bin) throw new BuildError(`build kind cargo: set \`bin\` or \`package\` (no [package] name in ${join(manifestDir, 'Cargo.toml')})`);
  if (!findOnPath('cargo', env)) throw new BuildError('build kind cargo: cargo not found on PATH (install Rust: https://rustup.rs)');
  const targets = config.targets.map((t) => ({ configured: t, rust: rustTargetOf(t) }));
  await checkRustTargets(run, targets.map((t) => t.rust), manifestDir, env);
  const zig = options.zigPath ?? (await resolveZig({ env, run, ...(options.onProgress && { log: options.onProgress }) })).path;
  const zigbuild = findOnPath('cargo-zigbuild', env) !== undefined;

  const artifacts: Artifact[] = [];
  for (const { configured, rust } of targets) {
    const via = zigbuild
      ? ({ zigbuild: true } as const)
      : ({ zigbuild: false, wrappers: await writeZigWrappers(join(targetDir, 'vps-test-zig'), zig, rust.zig) } as const);
    const spec = cargoCommand({ target: rust, config, manifestDir, targetDir, zig, cacheDir, via });
    options.onProgress?.(`cargo: building ${bin} for ${configured}${zigbuild ? ' (cargo-zigbuild)' : ' (zig linker wrapper)'}: ${formatCommand(spec)}`);
    await runChecked(run, spec, `cargo build for ${configured}`);
    const built = join(targetDir, rust.rust, 'release', bin);
    artifacts.push(
      await placeArtifact(built, options.outDir, configured, bin).catch((err: unknown) => {
        throw new BuildError(`cargo build for ${configured} succeeded but ${built} is missing (${String(err)}); set \`bin\``);
      }),
    );
  }
  return artifacts;
}
