// A failing loss or gossip p95 is visible in the markdown report and is a JUnit failure; an
// unjudgeable loss is shown as such, never as a plain pass.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../../src/cli/commands/report.js';
import { UsageError } from '../../../src/cli/args.js';
import { evaluate } from '../../../src/results/evaluate.js';
import type { ResultEvent } from '../../../src/results/events.js';
import { renderJunit } from '../../../src/report/junit.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { renderProof } from '../../../src/report/proof.js';
import { aggregateOf } from '../results/helpers.js';
import { captureConsoleLog, FIXTURES } from './golden.js';

const AT = '2025-06-01T12:00:00.000Z';
const events: ResultEvent[] = [
  { v: 1, type: 'throughput', from: 'a', to: 'b', bytes: 1, seconds: 1, mbps: 90, loss: 0.2 },
  { v: 1, type: 'throughput', from: 'b', to: 'a', bytes: 1, seconds: 1, mbps: 90, loss: 3 },
  { v: 1, type: 'throughput', from: 'a', to: 'c', bytes: 1, seconds: 1, mbps: 90 },
  { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'b', hops: 1, latency_ms: 20 },
  { v: 1, type: 'gossip', msg: 'm1', origin: 'a', node: 'c', hops: 2, latency_ms: 300 },
];
const results = evaluate({ aggregate: aggregateOf(events), generatedAt: AT, maxLoss: 1, maxGossipP95Ms: 100 });

/** The testcase element for `name` in suite `suite`. */
function junitCase(xml: string, suite: string, name: string): string {
  const body = new RegExp(`<testsuite name="${suite}"[\\s\\S]*?</testsuite>`).exec(xml)?.[0] ?? '';
  return new RegExp(`<testcase classname="[^"]*" name="${name}"(/>|>[\\s\\S]*?</testcase>)`).exec(body)?.[0] ?? '';
}

describe('reports: throughput loss and gossip p95', () => {
  it('fails the run on both, and lists the unjudgeable pair', () => {
    expect(results.verdict).toBe('fail');
    expect(results.reasons).toEqual([
      'throughput loss above 1%: b->a 3.0%',
      'gossip latency p95 286.0 ms > 100 ms bound (worst messages by p95: m1 286.0 ms)',
      'throughput loss not judged (max 1%): no loss reported for 1 pair: a->c',
    ]);
  });

  it('markdown: criteria line, a ❌ loss cell, an unjudged loss, and the exceeded p95 bound', () => {
    const md = renderMarkdown({ results });
    expect(md).toContain('throughput loss ≤ 1%');
    expect(md).toContain('gossip latency p95 ≤ 100 ms');
    expect(md).toContain('| a→b | 90.0 | 90.0–90.0 | 1 | 0.2% | loss ≤ 1% | ✅ |');
    expect(md).toContain('| b→a | 90.0 | 90.0–90.0 | 1 | 3% | loss ≤ 1% | ❌ loss |');
    expect(md).toContain('| a→c | 90.0 | 90.0–90.0 | 1 | — | loss ≤ 1% | — loss not reported |');
    expect(md).toContain('p95 286.0 ms (bound ≤ 100 ms: ❌ exceeded)');
  });

  it('JUnit: the lossy pair and the p95 are failures; the unjudged pair says why', () => {
    const xml = renderJunit(results);
    expect(junitCase(xml, 'throughput', 'b-&gt;a')).toContain('<failure message="loss 3% &gt; 1%: 90 Mbit/s mean over 1 samples (min 90), loss 3%"');
    expect(junitCase(xml, 'throughput', 'a-&gt;b')).not.toContain('<failure');
    expect(junitCase(xml, 'throughput', 'a-&gt;c')).toContain('<system-out>90 Mbit/s mean over 1 samples (min 90), no loss reported; loss not judged (max 1%)</system-out>');
    expect(junitCase(xml, 'gossip', 'latency p95')).toContain('<failure message="p95 286 ms &gt; 100 ms"');
    expect(xml).toContain('<property name="max_loss" value="1"/>');
    expect(xml).toContain('<property name="required_p95_ms" value="100"/>');
  });

  it('JUnit: a met p95 bound is a passing case', () => {
    const ok = evaluate({ aggregate: aggregateOf(events.filter((e) => e.type === 'gossip')), generatedAt: AT, maxGossipP95Ms: 1000 });
    expect(junitCase(renderJunit(ok), 'gossip', 'latency p95')).toContain('<system-out>p95 286 ms, bound 1000 ms; slowest messages by p95: m1 286 ms</system-out>');
  });

  it('proof: loss and p95 rows', () => {
    const proof = renderProof({ results, time: new Date(AT), evidence: [] });
    expect(proof).toContain('| throughput loss | ≤ 1% per pair | highest pair 3% over 2 pairs; 1 pair reported none | ❌ not met |');
    expect(proof).toContain('| gossip latency p95 | ≤ 100 ms | p95 286 ms over 1 messages | ❌ not met |');
  });
});

describe('vps-test report --max-loss / --max-gossip-p95', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-report-loss-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const out = captureConsoleLog();
  const lab = join(FIXTURES, 'lab.jsonl');

  it('judges the flags (over the config) and writes them into results.json', async () => {
    const outDir = join(dir, 'flags');
    const code = await reportCommand(['--results', lab, '--config', join(FIXTURES, 'lab.vps-test.yml'), '--max-loss', '5%', '--max-gossip-p95', '60', '--out', outDir, '--now', AT]);
    expect(code).toBe(1);
    const r = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
    expect(r.criteria).toMatchObject({ max_loss: 5, gossip_p95_ms: 60 });
    expect(r.gossip).toMatchObject({ required_p95_ms: 60, p95_passed: true });
    expect(r.throughput.map((t: { loss_passed: boolean | null }) => t.loss_passed)).toEqual([true, true, true, null]);
    expect(r.reasons).toContain('throughput loss not judged (max 5%): no loss reported for 1 pair: restricted->portrestr');
  });

  it('takes them from the config without flags', async () => {
    const outDir = join(dir, 'config');
    await reportCommand(['--results', lab, '--config', join(FIXTURES, 'lab.vps-test.yml'), '--out', outDir, '--now', AT]);
    const r = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
    expect(r.criteria).toMatchObject({ max_loss: 1, gossip_p95_ms: 40 });
    expect(readFileSync(join(outDir, 'junit.xml'), 'utf8')).toContain('<failure message="p95 48.85 ms &gt; 40 ms"');
  });

  it('rejects bad values, and documents both flags', async () => {
    await expect(reportCommand(['--results', lab, '--out', join(dir, 'bad'), '--max-loss', '120'])).rejects.toThrow(new UsageError('--max-loss 120: expected a number from 0 to 100'));
    await expect(reportCommand(['--results', lab, '--out', join(dir, 'bad'), '--max-gossip-p95', 'soon'])).rejects.toThrow(/--max-gossip-p95 soon: expected a number from 0/);
    expect(await reportCommand(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/--max-loss PCT .*loss per throughput pair/);
    expect(out.join('\n')).toMatch(/--max-gossip-p95 MS .*gossip delivery latency p95/);
  });
});
