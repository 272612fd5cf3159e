// The exact commands each builder would run, without running compilers.
import { describe, expect, it } from 'vitest';
import { cCommand, defaultCName } from '../../../src/build/c.js';
import { cargoCommand } from '../../../src/build/cargo.js';
import { formatCommand } from '../../../src/build/exec.js';
import { shellQuote } from '../../../src/shell/quote.js';
import { defaultGoName, goCommand } from '../../../src/build/go.js';
import { rustTargetOf } from '../../../src/build/targets.js';
import { pickZigBinary, zigBuildCommand } from '../../../src/build/zig-project.js';
import { agentCConfig } from '../../../src/build/agent.js';

const cache = '/cache/zig';

describe('c', () => {
  it('links musl statically and leaves glibc dynamic (zig cannot link glibc statically)', () => {
    const musl = cCommand({ zig: '/z/zig', target: 'x86_64-linux-musl', files: ['/s/a.c'], output: '/o/app', cwd: '/p', cacheDir: cache });
    expect(musl.args).toEqual(['cc', '-target', 'x86_64-linux-musl', '-O2', '-static', '-o', '/o/app', '/s/a.c']);
    expect(musl.env).toEqual({ ZIG_GLOBAL_CACHE_DIR: cache, ZIG_LOCAL_CACHE_DIR: cache });
    const gnu = cCommand({ zig: 'zig', target: 'x86_64-linux-gnu.2.17', files: ['a.c'], output: 'o', cwd: '/p', cacheDir: cache, cflags: ['-Wall'], strip: true });
    expect(gnu.args).toEqual(['cc', '-target', 'x86_64-linux-gnu.2.17', '-O2', '-Wall', '-s', '-o', 'o', 'a.c']);
  });
  it('names the binary after the first source', () => {
    expect(defaultCName(['src/probe.c'])).toBe('probe');
    expect(defaultCName(['agent/src'])).toBe('src');
  });
  it('builds the agent with warnings on, stripped, one musl target per arch', () => {
    const config = agentCConfig(['x86_64', 'aarch64', 'x86_64'], '/pkg/agent/src');
    expect(config.targets).toEqual(['x86_64-linux-musl', 'aarch64-linux-musl']);
    expect(config.name).toBe('vps-agent');
    expect(config.cflags).toEqual(expect.arrayContaining(['-Wall', '-Wextra']));
    expect(config.strip).toBe(true);
  });
});

describe('cargo', () => {
  const base = { config: { kind: 'cargo' as const, targets: [], package: 'node', features: ['a', 'b'] }, manifestDir: '/p', targetDir: '/p/target', zig: '/z/zig', cacheDir: cache };
  it('uses the wrapper as linker, CC and AR for the suffix-less rust triple', () => {
    const spec = cargoCommand({ ...base, target: rustTargetOf('x86_64-unknown-linux-gnu.2.17'), via: { zigbuild: false, wrappers: { cc: '/w/zig-cc', ar: '/w/zig-ar' } } });
    expect(spec.command).toBe('cargo');
    expect(spec.args).toEqual(['build', '--release', '--target', 'x86_64-unknown-linux-gnu', '-p', 'node', '--features', 'a,b']);
    expect(spec.env).toMatchObject({
      CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER: '/w/zig-cc',
      CC_x86_64_unknown_linux_gnu: '/w/zig-cc',
      AR_x86_64_unknown_linux_gnu: '/w/zig-ar',
      CARGO_TARGET_DIR: '/p/target',
      ZIG_GLOBAL_CACHE_DIR: cache,
    });
  });
  it('passes the glibc suffix to cargo-zigbuild and points it at our zig', () => {
    const spec = cargoCommand({ ...base, target: rustTargetOf('aarch64-linux-gnu.2.17'), via: { zigbuild: true } });
    expect(spec.args.slice(0, 4)).toEqual(['zigbuild', '--release', '--target', 'aarch64-unknown-linux-gnu.2.17']);
    expect(spec.env?.CARGO_ZIGBUILD_ZIG_PATH).toBe('/z/zig');
    expect(Object.keys(spec.env ?? {}).some((k) => k.endsWith('_LINKER'))).toBe(false);
  });
});

describe('go', () => {
  it('turns cgo on with zig cc for the target and sets GOOS/GOARCH', () => {
    const spec = goCommand({ zig: '/opt/my zig/zig', target: 'aarch64-linux-musl', config: { kind: 'go', targets: [], package: './cmd/node', tags: ['netgo'], ldflags: '-s -w' }, output: '/o/node', cwd: '/p', cacheDir: cache });
    expect(spec.command).toBe('go');
    expect(spec.args).toEqual(['build', '-trimpath', '-o', '/o/node', '-ldflags', '-s -w', '-tags', 'netgo', './cmd/node']);
    expect(spec.env).toMatchObject({ CGO_ENABLED: '1', CC: `'/opt/my zig/zig' cc -target aarch64-linux-musl`, GOOS: 'linux', GOARCH: 'arm64' });
    expect(defaultGoName('./cmd/node', '/p')).toBe('node');
  });
});

describe('zig build', () => {
  it('passes target and optimize mode and installs into a per-target prefix', () => {
    const spec = zigBuildCommand({ zig: 'zig', target: 'x86_64-linux-musl', config: { kind: 'zig', targets: [] }, projectDir: '/p', prefix: '/o/.zig-out/x86_64-linux-musl', cacheDir: cache });
    expect(spec.args).toEqual(['build', '-Dtarget=x86_64-linux-musl', '-Doptimize=ReleaseSafe', '--prefix', '/o/.zig-out/x86_64-linux-musl']);
  });
  it('picks the configured binary or the only one', () => {
    expect(pickZigBinary(['a'], undefined, 'bin')).toBe('a');
    expect(pickZigBinary(['a', 'b'], 'b', 'bin')).toBe('b');
    expect(() => pickZigBinary(['a', 'b'], undefined, 'bin')).toThrow(/set `name`/);
    expect(() => pickZigBinary(['a'], 'c', 'bin')).toThrow(/no "c"/);
  });
});

describe('command display', () => {
  it('quotes only what a shell would misread', () => {
    expect(shellQuote('x86_64-linux-musl')).toBe('x86_64-linux-musl');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(formatCommand({ command: 'zig', args: ['cc', 'a b.c'], cwd: '/p', env: { CC: 'zig cc' } })).toBe(`cd /p && CC='zig cc' zig cc 'a b.c'`);
  });
});
