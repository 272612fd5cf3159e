// Build stage vocabulary: what to build (BuildConfig, one variant per kind), what comes out
// (Artifact), and the options every builder takes. The config schema (src/config/) maps the
// user's `build:` section onto BuildConfig.
import type { Arch } from '../config/model.js';

/** One built binary for one target, ready for deploy. */
export interface Artifact {
  /** The target as configured, e.g. "x86_64-linux-musl" or "x86_64-unknown-linux-gnu.2.17". */
  target: string;
  /** Absolute path of the binary: <outDir>/<target>/<name>. */
  path: string;
  sha256: string;
  size: number;
}

/** C sources compiled by `zig cc` into one static binary per target. */
export interface CBuildConfig {
  kind: 'c';
  /** Files or directories (every *.c directly inside), relative to cwd. */
  sources: string[];
  /** zig triples: x86_64-linux-musl, aarch64-linux-musl, x86_64-linux-gnu.2.17, ... */
  targets: string[];
  /** Binary name; default: the first source's base name. */
  name?: string;
  cflags?: string[];
  /** Strip symbols (smaller binaries); default false. */
  strip?: boolean;
}

/** A Rust package: `cargo zigbuild` when installed, else cargo with our zig linker wrapper. */
export interface CargoBuildConfig {
  kind: 'cargo';
  /** Rust triples (x86_64-unknown-linux-gnu.2.17: glibc pinned) or zig triples (x86_64-linux-musl). */
  targets: string[];
  /** `-p <package>`; also the default binary name. */
  package?: string;
  /** `--bin <bin>`; the binary picked from target/<triple>/release/. */
  bin?: string;
  features?: string[];
  /** Directory holding Cargo.toml, relative to cwd; default cwd. */
  manifestDir?: string;
  /** CARGO_TARGET_DIR; default <manifestDir>/target. */
  targetDir?: string;
}

/** A Go main package built with cgo and `zig cc` as the C compiler. */
export interface GoBuildConfig {
  kind: 'go';
  targets: string[];
  /** Package to build, e.g. "./cmd/node"; default ".". */
  package?: string;
  /** Binary name; default the package directory's base name. */
  name?: string;
  ldflags?: string;
  tags?: string[];
}

/** A zig project: `zig build -Dtarget=<triple> -Doptimize=ReleaseSafe`, binary from zig-out/bin. */
export interface ZigBuildConfig {
  kind: 'zig';
  targets: string[];
  /** Binary in zig-out/bin; may be omitted when the project installs exactly one. */
  name?: string;
  /** Project directory relative to cwd; default cwd. */
  projectDir?: string;
  optimize?: 'Debug' | 'ReleaseSafe' | 'ReleaseFast' | 'ReleaseSmall';
  args?: string[];
}

export interface PrebuiltBinary {
  target: string;
  /** Local path (relative to cwd) or http(s) URL. Exactly one of path/url. */
  path?: string;
  url?: string;
  /** Expected sha256 (hex); a mismatch is an error. */
  sha256: string;
}

/** Binaries built elsewhere, verified by sha256. */
export interface PrebuiltBuildConfig {
  kind: 'prebuilt';
  binaries: PrebuiltBinary[];
  /** Binary name on the nodes; default the file name of the first path/url. */
  name?: string;
}

/** The reference agent shipped with vps-test (agent/), for the given node arches. */
export interface AgentBuildConfig {
  kind: 'agent';
  /** Default ['x86_64']. x86_64 -> x86_64-linux-musl, aarch64 -> aarch64-linux-musl. */
  arches?: Arch[];
}

export type BuildConfig =
  | CBuildConfig
  | CargoBuildConfig
  | GoBuildConfig
  | ZigBuildConfig
  | PrebuiltBuildConfig
  | AgentBuildConfig;

export type BuildKind = BuildConfig['kind'];

/** A command a builder runs: program, arguments, extra environment, working directory. */
export interface CommandSpec {
  command: string;
  args: string[];
  cwd: string;
  /** Added to (and overriding) the inherited environment. */
  env?: Record<string, string>;
}

export interface CommandResult {
  code: number | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; injected so tests can observe builders without running compilers. */
export type CommandRunner = (spec: CommandSpec) => Promise<CommandResult>;

export interface BuildOptions {
  /** Project root; relative paths in the config resolve against it. */
  cwd: string;
  /** Artifacts land in <outDir>/<target>/<name>. */
  outDir: string;
  onProgress?: (line: string) => void;
  /** Zig cache (ZIG_GLOBAL_CACHE_DIR and ZIG_LOCAL_CACHE_DIR); default ~/.cache/vps-test/zig. */
  zigCacheDir?: string;
  /** Use this zig instead of resolving one. */
  zigPath?: string;
  /** Defaults to the real process runner. */
  run?: CommandRunner;
  /** Environment used for tool lookup (PATH, GITHUB_ACTIONS); default process.env. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}
