import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../../src/shell/quote.js';

/** What a real POSIX shell makes of the quoted words. */
function shellSees(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `for a in ${line}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves harmless words bare and quotes everything else', () => {
    expect(shellQuote('abc-1.2/x_y')).toBe('abc-1.2/x_y');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('round-trips hostile strings through a real sh', () => {
    const hostile = ["it's", '$(touch /tmp/pwned)', '`id`', 'a\nb', '"; rm -rf / #', '*', '\\', "'", "''", '--x', '~', '$HOME', 'tab\there', 'ünïcödé'];
    expect(shellSees(shellJoin(hostile))).toEqual(hostile);
  });
});
