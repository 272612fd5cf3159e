import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/results/evaluate.js';
import { renderJunit, xmlEscape } from '../../../src/report/junit.js';
import { aggregateOf, attempt, attempts, planOf } from '../results/helpers.js';
import { labScenario } from './scenarios.js';

/** A small well-formedness check: tags nest, attributes are quoted, text has no raw < or stray &. */
function checkXml(xml: string): string[] {
  const stack: string[] = [];
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\n/, '');
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(body))) {
    consumed = re.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) problems.push(`stray & in ${JSON.stringify(text.slice(0, 40))}`);
      continue;
    }
    if (close) {
      if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
    } else if (!selfClose) stack.push(name as string);
  }
  if (consumed !== body.length) problems.push(`unparsable at ${consumed}: ${JSON.stringify(body.slice(consumed, consumed + 40))}`);
  if (stack.length) problems.push(`unclosed ${stack.join(',')}`);
  return problems;
}

describe('renderJunit', () => {
  it('is well-formed, with totals that match the failures and errors inside', async () => {
    const { results } = await labScenario();
    const xml = renderJunit(results);
    expect(checkXml(xml)).toEqual([]);
    const total = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(xml);
    expect(Number(total?.[1])).toBe((xml.match(/<testcase /g) ?? []).length);
    expect(Number(total?.[2])).toBe((xml.match(/<failure /g) ?? []).length);
    expect(Number(total?.[3])).toBe((xml.match(/<error /g) ?? []).length);
    expect(xml).toContain('<testsuite name="relay"');
    expect(xml).toMatch(/<testcase classname="vps-test\.relay\.connectivity" name="symmetric-&gt;symmetric-2">\n\s+<failure message="0\/12 succeeded/);
  });

  it('reports false successes as errors and the verdict as an error testcase', () => {
    const results = evaluate({ aggregate: aggregateOf([...attempts('a', 'b', 'direct', 10, 10), attempt('a', 'a', 'direct', true)]), generatedAt: 'now', thresholds: { direct: 50 } });
    const xml = renderJunit(results);
    expect(checkXml(xml)).toEqual([]);
    expect(xml).toMatch(/name="a-&gt;a">\n\s+<error message="false success: attempt from a to itself"/);
    expect(xml).toMatch(/<testcase classname="vps-test\.run" name="verdict">\n\s+<error /);
  });

  it('passes everything when the run passes', () => {
    const results = evaluate({ plan: planOf([['a', 'none'], ['b', 'none']], { direct: 90 }), aggregate: aggregateOf([...attempts('a', 'b', 'direct', 10, 10), ...attempts('b', 'a', 'direct', 10, 10)]), generatedAt: 'now' });
    const xml = renderJunit(results);
    expect(xml).toContain('failures="0" errors="0"');
    expect(xml).not.toMatch(/<failure|<error/);
  });
});

describe('xmlEscape', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlEscape('bell\u0007 nul\u0000 tab\t ok')).toBe('bell nul tab\t ok');
    expect(xmlEscape('lone \uD800 surrogate, emoji 🔀')).toBe('lone  surrogate, emoji 🔀');
  });
});
