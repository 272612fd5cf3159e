// Real zig builds: the agent for x86_64 and aarch64 (static, right ELF machine), a Rust fixture
// pinned to glibc 2.17 through our zig linker wrapper, a zig project, and the failure modes a
// user must be able to read (compiler error + command, sha256 mismatch, mislabelled arch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildError, buildArtifacts, inspectElf, type Artifact } from '../../../src/build/index.js';
import { findOnPath, resolveZig } from '../../../src/build/zig.js';
import { agentCConfig, agentSourceDir } from '../../../src/build/agent.js';
import { cCommand, expandCSources } from '../../../src/build/c.js';
import { runChecked, runProcess } from '../../../src/build/exec.js';
import { REPO_ROOT, ZIG_CACHE, buildAgentOnce } from './helpers.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'build');
const work = mkdtempSync(join(tmpdir(), 'vt-build-'));
const outDir = join(work, 'out');
const opts = (cwd: string, progress: string[] = []) => ({ cwd, outDir, zigCacheDir: ZIG_CACHE, onProgress: (l: string) => progress.push(l) });
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Highest GLIBC_x.y symbol version a dynamic binary needs, from objdump -T, as [major, minor, patch]. */
function maxGlibc(path: string): number[] {
  const versions = [...execFileSync('objdump', ['-T', path], { encoding: 'utf8' }).matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
    Number(m[3] ?? 0),
  ]);
  versions.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
  return versions.at(-1) ?? [0, 0, 0];
}

function atMost217(version: number[]): boolean {
  return version[0] === 2 && version[1]! <= 17;
}

describe('agent build', () => {
  let artifacts: Artifact[];
  let ms = 0;
  beforeAll(async () => {
    const started = Date.now();
    artifacts = await buildAgentOnce(outDir);
    ms = Date.now() - started;
    console.log(`agent build (x86_64 + aarch64): ${ms} ms`);
  });

  it('produces a static x86_64 and a static aarch64 binary', async () => {
    expect(artifacts.map((a) => a.target)).toEqual(['x86_64-linux-musl', 'aarch64-linux-musl']);
    for (const artifact of artifacts) {
      const elf = await inspectElf(artifact.path);
      expect(elf.machine).toBe(artifact.target.split('-')[0]);
      expect(elf.static).toBe(true);
      const description = execFileSync('file', [artifact.path], { encoding: 'utf8' });
      expect(description).toMatch(/statically linked/);
      expect(description).toMatch(artifact.target.startsWith('x86_64') ? /x86-64/ : /ARM aarch64/);
      expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(artifact.path).toBe(join(outDir, artifact.target, 'vps-agent'));
    }
  });

  it('compiles without a single warning (-Wall -Wextra -Werror) for both arches', async () => {
    const config = agentCConfig(['x86_64', 'aarch64'], agentSourceDir());
    const files = await expandCSources(config.sources, REPO_ROOT);
    const zig = (await resolveZig()).path;
    for (const target of config.targets) {
      const spec = cCommand({ zig, target, files, output: join(work, `werror-${target}`), cwd: REPO_ROOT, cflags: [...config.cflags!, '-Werror'], cacheDir: ZIG_CACHE });
      await runChecked(runProcess, spec, `agent -Werror build for ${target}`);
    }
  });

  it('runs (x86_64) and rebuilds fast from the zig cache', async () => {
    expect(execFileSync(artifacts[0]!.path, ['version'], { encoding: 'utf8' })).toMatch(/^vps-agent \d+\.\d+\.\d+/);
    const started = Date.now();
    const again = await buildArtifacts({ kind: 'agent', arches: ['x86_64'] }, opts(REPO_ROOT));
    const rebuildMs = Date.now() - started;
    console.log(`agent rebuild (x86_64, cached): ${rebuildMs} ms`);
    expect(again[0]!.sha256).toBe(artifacts[0]!.sha256); // reproducible
    expect(rebuildMs).toBeLessThan(15_000);
  });
});

describe('c builds', () => {
  it('fails with the compiler message and the exact command', async () => {
    const error = await buildArtifacts({ kind: 'c', sources: ['c-broken'], targets: ['x86_64-linux-musl'] }, opts(FIXTURES)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildError);
    const message = (error as Error).message;
    expect(message).toMatch(/broken\.c:4:\d+: error: expected ';'/);
    expect(message).toMatch(/command: cd \S+ && .*zig cc -target x86_64-linux-musl -O2 -static -o \S+ \S+broken\.c/);
  });

  it('pins glibc for gnu targets (dynamic, runs here)', async () => {
    const [artifact] = await buildArtifacts({ kind: 'c', sources: ['c-hello/hello.c'], targets: ['x86_64-linux-gnu.2.17'] }, opts(FIXTURES));
    const elf = await inspectElf(artifact!.path);
    expect(elf.static).toBe(false);
    expect(atMost217(maxGlibc(artifact!.path))).toBe(true);
    expect(execFileSync(artifact!.path, ['a'], { encoding: 'utf8' })).toBe('c-hello ok args=1\n');
  });
});

describe.skipIf(!findOnPath('cargo'))('cargo build through the zig linker wrapper', () => {
  it('builds x86_64-unknown-linux-gnu.2.17 needing no glibc symbol above 2.17, and it runs', async () => {
    const progress: string[] = [];
    const [artifact] = await buildArtifacts(
      { kind: 'cargo', targets: ['x86_64-unknown-linux-gnu.2.17'], targetDir: join(work, 'cargo-target') },
      opts(join(FIXTURES, 'rust-hello'), progress),
    );
    expect(artifact!.target).toBe('x86_64-unknown-linux-gnu.2.17');
    expect(artifact!.path).toBe(join(outDir, 'x86_64-unknown-linux-gnu.2.17', 'rust-hello'));
    // cargo saw the suffix-less triple; the binary came from target/<triple>/release
    expect(progress.join('\n')).toMatch(/zig linker wrapper.*cargo build --release --target x86_64-unknown-linux-gnu$/m);
    const glibc = maxGlibc(artifact!.path);
    console.log(`rust-hello via zig: highest GLIBC symbol version ${glibc.join('.')}`);
    expect(glibc[0]).toBe(2); // it does use glibc symbols...
    expect(atMost217(glibc)).toBe(true); // ...none newer than the pin
    expect(execFileSync(artifact!.path, ['x', 'y'], { encoding: 'utf8' })).toMatch(/^rust-hello ok factorial=3628800 time=true args=x,y/);
  });
});

describe('zig projects', () => {
  it('builds with zig build and picks the binary from the install prefix', async () => {
    const [artifact] = await buildArtifacts({ kind: 'zig', targets: ['x86_64-linux-musl'] }, opts(join(FIXTURES, 'zig-hello')));
    expect(artifact!.path).toBe(join(outDir, 'x86_64-linux-musl', 'zig-hello'));
    expect((await inspectElf(artifact!.path)).static).toBe(true);
    expect(execFileSync(artifact!.path, { encoding: 'utf8' })).toBe('zig-hello ok\n');
  });
});

describe('prebuilt', () => {
  it('accepts a verified binary and refuses a sha256 mismatch or a binary of the wrong arch', async () => {
    const [agent, agentArm] = await buildAgentOnce(outDir);
    const prebuiltOut = join(work, 'prebuilt');
    const ok = await buildArtifacts(
      { kind: 'prebuilt', binaries: [{ target: 'x86_64-linux-musl', path: agent!.path, sha256: agent!.sha256 }] },
      { cwd: work, outDir: prebuiltOut },
    );
    expect(ok[0]!.sha256).toBe(agent!.sha256);
    const wrong = '0'.repeat(64);
    await expect(
      buildArtifacts({ kind: 'prebuilt', binaries: [{ target: 'x86_64-linux-musl', path: agent!.path, sha256: wrong }] }, { cwd: work, outDir: prebuiltOut }),
    ).rejects.toThrow(`sha256 mismatch: expected ${wrong}, got ${agent!.sha256}`);
    await expect(
      buildArtifacts(
        { kind: 'prebuilt', name: 'mislabelled', binaries: [{ target: 'x86_64-linux-musl', path: agentArm!.path, sha256: agentArm!.sha256 }] },
        { cwd: work, outDir: prebuiltOut },
      ),
    ).rejects.toThrow(/is built for aarch64, not x86_64/);
  });
});
