import { describe, expect, it } from 'vitest';
import { describeStep, inNamespace, ip, renderStep, stepArgv } from '../../../src/lab/recipes/steps.js';
import { shellQuote } from '../../../src/shell/quote.js';

describe('recipe steps', () => {
  it('ip() targets a namespace with -n, inNamespace() with ip netns exec', () => {
    expect(ip('ns1', 'link', 'set', 'lo', 'up').argv).toEqual(['ip', '-n', 'ns1', 'link', 'set', 'lo', 'up']);
    expect(ip(undefined, 'link').argv).toEqual(['ip', 'link']);
    expect(stepArgv(inNamespace('r', ['sysctl', '-qw', 'x=1']))).toEqual(['ip', 'netns', 'exec', 'r', 'sysctl', '-qw', 'x=1']);
    expect(stepArgv(inNamespace(undefined, ['true']))).toEqual(['true']);
  });

  it('quotes only what needs it, and single quotes safely', () => {
    expect(shellQuote('vtab-r1.fc')).toBe('vtab-r1.fc');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
  });

  it('stdin becomes a quoted heredoc; the terminator inside input is refused', () => {
    const text = renderStep(inNamespace('r', ['nft', '-f', '-'], 'table ip t {\n}\n'));
    expect(text).toBe("ip netns exec r nft -f - <<'VT_EOF'\ntable ip t {\n}\nVT_EOF");
    expect(() => renderStep({ argv: ['cat'], input: 'x\nVT_EOF\n' })).toThrow(/terminator/);
    expect(describeStep({ argv: ['nft', '-f', '-'], input: 'secret-ish' })).toBe('nft -f - <<(stdin)');
  });
});
