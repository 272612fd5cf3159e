import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../../src/ssh/statements.js';

const lines = (text: string) => splitStatements(text).map((s) => s.line);

describe('splitStatements', () => {
  it('one statement per simple line, skipping blanks and comments', () => {
    expect(splitStatements('echo a\n\n# note\necho b # trailing\n')).toEqual([
      { line: 1, text: 'echo a' },
      { line: 4, text: 'echo b # trailing' },
    ]);
  });

  it('keeps compound commands together', () => {
    const text = ['if true; then', '  echo a', 'else', '  echo b', 'fi', 'for i in 1 2; do', '  echo $i', 'done', 'while false', 'do :; done', 'echo end'].join('\n');
    expect(lines(text)).toEqual([1, 6, 9, 11]);
  });

  it('handles nesting, braces, subshells and functions', () => {
    const text = ['f() {', '  if x; then', '    (cd /; ls)', '  fi', '}', '{ echo a', 'echo b; }', 'echo "$(date', ')"', 'x=${HOME}'].join('\n');
    expect(lines(text)).toEqual([1, 6, 8, 10]);
  });

  it('handles case with bare and parenthesised patterns', () => {
    const text = ['case "$x" in', '  a|b) echo ab ;;', '  (c) echo c', '     ;;', '  *) if y; then z; fi ;;', 'esac', 'echo after'].join('\n');
    expect(lines(text)).toEqual([1, 7]);
  });

  it('handles quotes spanning lines, continuations and trailing operators', () => {
    const text = ["echo 'a", "b'", 'echo "c', 'd"', 'ls \\', '  -l', 'true &&', '  echo and', 'a |', ' b', 'echo "it\'s # not a comment"', 'echo done'].join('\n');
    expect(lines(text)).toEqual([1, 3, 5, 7, 9, 11, 12]);
  });

  it('handles here-documents, including quoted and tab-stripped terminators', () => {
    const text = ['cat <<EOF > f', 'if this were code', 'EOF', "cat <<'X'", '$(not run)', 'X', 'cat <<-END', '\tindented', '\tEND', 'echo last'].join('\n');
    expect(splitStatements(text).map((s) => [s.line, s.text.split('\n').length])).toEqual([
      [1, 3],
      [4, 3],
      [7, 3],
      [10, 1],
    ]);
  });

  it('does not treat keywords in arguments as structure', () => {
    expect(lines('echo if then fi\necho done\necho {')).toEqual([1, 2, 3]);
  });
});
