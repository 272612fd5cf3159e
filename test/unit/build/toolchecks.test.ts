// Errors a user meets before any compiler runs: missing Rust targets, missing go, bad manifests,
// and how a failing command is reported.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCargo, cargoPackageName, missingRustTargets } from '../../../src/build/cargo.js';
import { buildGo } from '../../../src/build/go.js';
import { BuildError, runChecked, runProcess } from '../../../src/build/exec.js';
import type { CommandSpec } from '../../../src/build/types.js';
import { packageRoot } from '../../../src/build/agent.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-tools-'));
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const tool of ['cargo', 'rustup']) {
  writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, tool), 0o755);
}
writeFileSync(join(dir, 'Cargo.toml'), '[workspace]\nmembers = []\n\n[package]\nname = "my-node" # the binary\nversion = "0.1.0"\n\n[dependencies]\nname = "not-this"\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cargo preflight', () => {
  it('reads the package name from [package] only', () => {
    expect(cargoPackageName('[dependencies]\nname = "x"\n[package]\nname = "real"\n')).toBe('real');
    expect(cargoPackageName('[workspace]\n')).toBeUndefined();
  });
  it('lists missing rustup targets', () => {
    expect(missingRustTargets('x86_64-unknown-linux-gnu\n', ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-musl'])).toEqual(['aarch64-unknown-linux-musl']);
  });
  it('fails before building with the exact rustup command for every missing target', async () => {
    const ran: CommandSpec[] = [];
    const run = async (spec: CommandSpec) => {
      ran.push(spec);
      return { code: 0, stdout: spec.command === 'rustup' ? 'x86_64-unknown-linux-gnu\n' : '', stderr: '' };
    };
    const error = await buildCargo(
      { kind: 'cargo', targets: ['x86_64-unknown-linux-gnu.2.17', 'aarch64-unknown-linux-gnu.2.17', 'aarch64-linux-musl'] },
      { cwd: dir, outDir: join(dir, 'out'), run, env: { PATH: bin }, zigPath: '/z' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as Error).message).toContain('fix: rustup target add aarch64-unknown-linux-gnu aarch64-unknown-linux-musl');
    expect(ran.map((r) => r.command)).toEqual(['rustup']); // cargo never ran
  });
  it('says when there is no Cargo.toml', async () => {
    await expect(buildCargo({ kind: 'cargo', targets: ['x86_64-linux-musl'] }, { cwd: bin, outDir: dir, env: { PATH: bin } })).rejects.toThrow(/no Cargo.toml in/);
  });
});

describe('go preflight', () => {
  it('says go is not installed', async () => {
    await expect(buildGo({ kind: 'go', targets: ['x86_64-linux-musl'] }, { cwd: dir, outDir: dir, env: { PATH: bin } })).rejects.toThrow(/go not found on PATH/);
  });
});

describe('failing commands', () => {
  it('carry the command and the tool\'s own stderr', async () => {
    const error = await runChecked(runProcess, { command: 'sh', args: ['-c', 'echo "foo.c:1: error: boom" >&2; exit 3'], cwd: dir }, 'compile').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    const e = error as BuildError;
    expect(e.message).toMatch(/^compile failed \(exit code 3\)/);
    expect(e.message).toContain(`command: cd ${dir} && sh -c 'echo "foo.c:1: error: boom" >&2; exit 3'`);
    expect(e.message).toContain('foo.c:1: error: boom');
    expect(e.stderr).toBe('foo.c:1: error: boom\n');
  });
  it('name a program that does not exist', async () => {
    await expect(runProcess({ command: 'no-such-compiler-xyz', args: [], cwd: dir })).rejects.toThrow(/command not found: no-such-compiler-xyz/);
  });
});

describe('package root', () => {
  it('is the directory whose package.json is named vps-test', () => {
    expect(packageRoot()).toBe(join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..'));
  });
});
