import { describe, expect, it } from 'vitest';
import {
  agentTargetOf,
  archOfTarget,
  cargoLinkerEnvName,
  ccEnvName,
  goEnvOf,
  parseZigTarget,
  rustTargetOf,
} from '../../../src/build/targets.js';

describe('zig targets', () => {
  it('parses arch, abi and the glibc pin', () => {
    expect(parseZigTarget('x86_64-linux-gnu.2.17')).toEqual({ arch: 'x86_64', os: 'linux', abi: 'gnu', glibc: '2.17' });
    expect(parseZigTarget('aarch64-linux-musl')).toEqual({ arch: 'aarch64', os: 'linux', abi: 'musl' });
  });
  it('rejects nonsense and glibc pins on musl with the expected form in the message', () => {
    expect(() => parseZigTarget('linux')).toThrow(/x86_64-linux-musl/);
    expect(() => parseZigTarget('x86_64-linux-musl.2.17')).toThrow(/only applies to gnu/);
  });
});

describe('rust targets', () => {
  it('strips the glibc suffix for cargo and keeps it for zig', () => {
    expect(rustTargetOf('x86_64-unknown-linux-gnu.2.17')).toEqual({
      rust: 'x86_64-unknown-linux-gnu',
      zig: 'x86_64-linux-gnu.2.17',
      glibc: '2.17',
    });
  });
  it('maps zig triples and differently named arches both ways', () => {
    expect(rustTargetOf('x86_64-linux-musl')).toEqual({ rust: 'x86_64-unknown-linux-musl', zig: 'x86_64-linux-musl' });
    expect(rustTargetOf('aarch64-linux-gnu.2.28').rust).toBe('aarch64-unknown-linux-gnu');
    expect(rustTargetOf('riscv64gc-unknown-linux-gnu').zig).toBe('riscv64-linux-gnu');
    expect(rustTargetOf('armv7-unknown-linux-gnueabihf').zig).toBe('arm-linux-gnueabihf');
    expect(() => rustTargetOf('sparc64-unknown-linux-gnu')).toThrow(/unsupported arch "sparc64"/);
  });
  it('names the cargo and cc-crate environment variables', () => {
    expect(cargoLinkerEnvName('x86_64-unknown-linux-gnu')).toBe('CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER');
    expect(ccEnvName('aarch64-unknown-linux-musl')).toBe('CC_aarch64_unknown_linux_musl');
    expect(ccEnvName('aarch64-unknown-linux-musl', 'AR')).toBe('AR_aarch64_unknown_linux_musl');
  });
});

describe('go and node arches', () => {
  it('maps zig triples to GOOS/GOARCH', () => {
    expect(goEnvOf('x86_64-linux-musl')).toEqual({ GOOS: 'linux', GOARCH: 'amd64' });
    expect(goEnvOf('aarch64-linux-gnu.2.17')).toEqual({ GOOS: 'linux', GOARCH: 'arm64' });
    expect(goEnvOf('arm-linux-musleabihf')).toEqual({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7' });
  });
  it('knows which node arch a target serves and the agent target of an arch', () => {
    expect(archOfTarget('aarch64-unknown-linux-gnu.2.17')).toBe('aarch64');
    expect(archOfTarget('x86_64-linux-musl')).toBe('x86_64');
    expect(archOfTarget('riscv64-linux-musl')).toBeUndefined();
    expect(agentTargetOf('aarch64')).toBe('aarch64-linux-musl');
  });
});
