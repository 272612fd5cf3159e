// Target names: zig triples (x86_64-linux-musl, x86_64-linux-gnu.2.17), Rust triples
// (x86_64-unknown-linux-gnu, with an optional glibc suffix .2.17 as cargo-zigbuild spells it),
// Go's GOOS/GOARCH, and node arches. Pure.
import type { Arch } from '../config/model.js';
import { BuildError } from './exec.js';

export interface ZigTarget {
  arch: string;
  os: string;
  abi: string;
  /** glibc version pin, e.g. "2.17" (gnu ABIs only). */
  glibc?: string;
}

const TARGET_EXAMPLES = 'x86_64-linux-musl, aarch64-linux-musl, x86_64-linux-gnu.2.17';

/** "x86_64-linux-gnu.2.17" -> {arch, os, abi, glibc}. */
export function parseZigTarget(target: string): ZigTarget {
  const match = /^([a-z0-9_]+)-(linux)-([a-z0-9]+)(?:\.(\d+\.\d+(?:\.\d+)?))?$/.exec(target);
  if (!match) throw new BuildError(`unknown target "${target}": expected a zig triple like ${TARGET_EXAMPLES}`);
  const [, arch, os, abi, glibc] = match as unknown as [string, string, string, string, string | undefined];
  if (glibc && !abi.startsWith('gnu')) {
    throw new BuildError(`target "${target}": a glibc version suffix only applies to gnu ABIs`);
  }
  return glibc ? { arch, os, abi, glibc } : { arch, os, abi };
}

// Rust and zig spell some arches differently.
const RUST_TO_ZIG_ARCH: Record<string, string> = {
  x86_64: 'x86_64',
  aarch64: 'aarch64',
  i686: 'x86',
  riscv64gc: 'riscv64',
  armv7: 'arm',
};
const ZIG_TO_RUST_ARCH: Record<string, string> = Object.fromEntries(
  Object.entries(RUST_TO_ZIG_ARCH).map(([rust, zig]) => [zig, rust]),
);

export interface RustTarget {
  /** What cargo gets: --target x86_64-unknown-linux-gnu (no glibc suffix). */
  rust: string;
  /** What zig cc gets: -target x86_64-linux-gnu.2.17. */
  zig: string;
  /** Glibc pin, when given. */
  glibc?: string;
}

/**
 * Accepts a Rust triple (optionally with cargo-zigbuild's glibc suffix) or a zig triple and
 * returns both spellings: x86_64-unknown-linux-gnu.2.17 -> {rust: x86_64-unknown-linux-gnu,
 * zig: x86_64-linux-gnu.2.17}; x86_64-linux-musl -> {rust: x86_64-unknown-linux-musl, ...}.
 */
export function rustTargetOf(target: string): RustTarget {
  const rustStyle = /^([a-z0-9_]+)-unknown-(linux)-([a-z0-9]+)(?:\.(\d+\.\d+(?:\.\d+)?))?$/.exec(target);
  if (rustStyle) {
    const [, rustArch, os, abi, glibc] = rustStyle as unknown as [string, string, string, string, string | undefined];
    const zigArch = RUST_TO_ZIG_ARCH[rustArch];
    if (!zigArch) throw new BuildError(`target "${target}": unsupported arch "${rustArch}" (supported: ${Object.keys(RUST_TO_ZIG_ARCH).join(', ')})`);
    const zig = `${zigArch}-${os}-${abi}${glibc ? `.${glibc}` : ''}`;
    parseZigTarget(zig);
    return glibc ? { rust: `${rustArch}-unknown-${os}-${abi}`, zig, glibc } : { rust: `${rustArch}-unknown-${os}-${abi}`, zig };
  }
  const parsed = parseZigTarget(target);
  const rustArch = ZIG_TO_RUST_ARCH[parsed.arch];
  if (!rustArch) throw new BuildError(`target "${target}": no Rust equivalent for arch "${parsed.arch}"`);
  const rust = `${rustArch}-unknown-${parsed.os}-${parsed.abi}`;
  return parsed.glibc ? { rust, zig: target, glibc: parsed.glibc } : { rust, zig: target };
}

/** Cargo reads the linker of a target from CARGO_TARGET_<TRIPLE_UPPER_UNDERSCORED>_LINKER. */
export function cargoLinkerEnvName(rustTriple: string): string {
  return `CARGO_TARGET_${rustTriple.toUpperCase().replace(/[-.]/g, '_')}_LINKER`;
}

/** The cc crate (build scripts) reads CC_<triple_with_underscores> and AR_<...>. */
export function ccEnvName(rustTriple: string, tool: 'CC' | 'AR' = 'CC'): string {
  return `${tool}_${rustTriple.replace(/[-.]/g, '_')}`;
}

const ZIG_TO_GOARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', x86: '386', riscv64: 'riscv64', arm: 'arm' };

/** GOOS/GOARCH (and GOARM for 32-bit arm) for a zig triple. */
export function goEnvOf(target: string): Record<string, string> {
  const parsed = parseZigTarget(target);
  const goarch = ZIG_TO_GOARCH[parsed.arch];
  if (!goarch) throw new BuildError(`target "${target}": no Go equivalent for arch "${parsed.arch}"`);
  return goarch === 'arm' ? { GOOS: parsed.os, GOARCH: goarch, GOARM: '7' } : { GOOS: parsed.os, GOARCH: goarch };
}

/** The node arch a target runs on, if it is one the fleet knows (x86_64, aarch64). */
export function archOfTarget(target: string): Arch | undefined {
  const arch = target.split('-')[0];
  return arch === 'x86_64' || arch === 'aarch64' ? arch : undefined;
}

/** The reference agent is always a static musl binary. */
export function agentTargetOf(arch: Arch): string {
  return `${arch}-linux-musl`;
}

/** File-system friendly directory name for a target (triples are already safe; keep it explicit). */
export function targetDirName(target: string): string {
  return target.replace(/[^A-Za-z0-9._-]/g, '_');
}
