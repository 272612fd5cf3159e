// The generated wrapper is run for real by /bin/sh, with a stand-in "zig" that prints the
// arguments it receives, so the rewrites are checked as the shell performs them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderZigCcWrapper, writeZigWrappers } from '../../../src/build/linker-wrapper.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-wrapper-'));
const fakeZig = join(dir, 'fake zig'); // a space in the path: quoting must hold
writeFileSync(fakeZig, '#!/bin/sh\nfor a do printf "%s\\n" "$a"; done\n');
chmodSync(fakeZig, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runWrapper(zigTarget: string, args: string[]): string[] {
  const script = join(dir, `cc-${zigTarget}`);
  writeFileSync(script, renderZigCcWrapper(fakeZig, zigTarget));
  chmodSync(script, 0o755);
  return execFileSync(script, args, { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('zig cc linker wrapper', () => {
  it('prepends the zig target and rewrites what zig 0.11 rejects', () => {
    const out = runWrapper('x86_64-linux-gnu.2.17', [
      '-m64',
      '--target=x86_64-unknown-linux-gnu',
      'main.o',
      '-Wl,--as-needed',
      '-lgcc_s',
      '-Wl,--no-undefined-version',
      '-Wl,--undefined=__rust_probestack',
      '-Wl,--dynamic-list',
      '/tmp/list',
      '-Wp,-U_FORTIFY_SOURCE',
      '-Wp,-MD,dep.d',
      'arg with space',
      '-lc',
      '-o',
      'out',
    ]);
    expect(out).toEqual([
      'cc', '-target', 'x86_64-linux-gnu.2.17',
      '-m64', 'main.o', '-Wl,--as-needed', '-lunwind', '-Wl,-u,__rust_probestack',
      '-Wp,-MD,dep.d', 'arg with space', '-lc', '-o', 'out',
    ]);
  });
  it('drops Rust self-contained crt objects and -lc for musl (zig brings its own)', () => {
    const out = runWrapper('aarch64-linux-musl', ['/r/self-contained/crt1.o', 'main.o', '-lc', '/r/self-contained/crti.o']);
    expect(out).toEqual(['cc', '-target', 'aarch64-linux-musl', 'main.o']);
  });
  it('writes executable cc and ar wrappers per target', async () => {
    const wrappers = await writeZigWrappers(join(dir, 'w'), fakeZig, 'x86_64-linux-musl');
    expect(statSync(wrappers.cc).mode & 0o111).toBeTruthy();
    expect(execFileSync(wrappers.ar, ['rcs', 'lib.a'], { encoding: 'utf8' }).split('\n').filter(Boolean)).toEqual(['ar', 'rcs', 'lib.a']);
  });
});
