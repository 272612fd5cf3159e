import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeFailure, renderScript, ScriptStderr, toStatements } from '../../../src/ssh/script.js';

/** Runs the instrumented script in a real local sh, feeding stderr in awkward 7-byte chunks. */
function runLocally(script: string | string[], forward?: (t: string) => void) {
  const statements = toStatements(script);
  const r = spawnSync('/bin/sh', ['-c', renderScript(statements)], { encoding: 'utf8' });
  const tracker = new ScriptStderr(forward);
  for (let i = 0; i < r.stderr.length; i += 7) tracker.write(r.stderr.slice(i, i + 7));
  tracker.end();
  return { status: r.status, stdout: r.stdout, stderr: tracker.text(), failure: tracker.failure(statements) };
}

describe('instrumented scripts (set -e, failing line reported)', () => {
  it('stops at the first failing line and names it, with only that line\'s stderr', () => {
    const r = runLocally(['echo one', 'echo warn-from-two >&2', 'ls /definitely/not/here', 'echo never']);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('one\n');
    expect(r.failure?.line).toBe(3);
    expect(r.failure?.text).toBe('ls /definitely/not/here');
    expect(r.failure?.code).toBe(2);
    expect(r.failure?.stderr).toMatch(/definitely\/not\/here/);
    expect(r.failure?.stderr).not.toMatch(/warn-from-two/);
    expect(r.stderr).toMatch(/warn-from-two/); // all stderr is kept, markers are not
    expect(r.stderr).not.toMatch(/__vt_/);
  });

  it('reports lines of a text script by their line number in the text, through compound commands', () => {
    const text = ['x=1', '', 'if [ $x = 1 ]; then', '  echo in-if', 'fi', 'cd /tmp', 'test "$(pwd)" = /tmp', 'exit 7'].join('\n');
    const r = runLocally(text);
    expect(r.stdout).toBe('in-if\n');
    expect(r.failure).toMatchObject({ line: 8, text: 'exit 7', code: 7 });
  });

  it('a script that succeeds reports no failure; state carries across lines', () => {
    const r = runLocally(['export A=1', 'cd /', 'test "$A" = 1 && test "$(pwd)" = /', 'printf "x" >&2']);
    expect(r.status).toBe(0);
    expect(r.failure).toBeUndefined();
    expect(r.stderr).toBe('x');
  });

  it('failure text is one readable line', () => {
    const msg = describeFailure('n1', { line: 3, text: 'ls /nope', code: 2, stderr: "ls: cannot access '/nope'\n" });
    expect(msg).toBe("script on node \"n1\" failed at line 3 (`ls /nope`) with exit code 2:\nls: cannot access '/nope'");
  });

  it('forwards stderr without markers while running', () => {
    const seen: string[] = [];
    runLocally(['echo a >&2', 'echo b >&2'], (t) => seen.push(t));
    expect(seen.join('')).toBe('a\nb\n');
  });
});
