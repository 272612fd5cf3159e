import { describe, expect, it } from 'vitest';
import { parseCriterion } from '../../../src/config/metrics.js';
import { judgeCriterion, judgeMetrics, parseExposition, renderScrapeCommand, scrapeNode, type MetricScrape } from '../../../src/metrics/index.js';
import type { MetricCriterion } from '../../../src/config/metrics.js';
import { node } from './fake-io.js';

const crit = (text: string): MetricCriterion => parseCriterion(text) as MetricCriterion;
const scrape = (n: string, samples: [string, number, Record<string, string>?][], ok = true): MetricScrape => ({
  checkpoint: 'test',
  node: n,
  at: '2026-01-01T00:00:00Z',
  url: 'http://127.0.0.1:9464/metrics',
  ok,
  ...(!ok && { error: 'exporter did not answer at http://127.0.0.1:9464/metrics: Connection refused' }),
  samples: samples.map(([name, value, labels]) => ({ name, value, labels: labels ?? {} })),
});

describe('metric criteria grammar', () => {
  it('parses per-node and aggregate criteria with label matchers', () => {
    expect(parseCriterion('peers_connected >= 8')).toEqual({ text: 'peers_connected >= 8', metric: 'peers_connected', labels: {}, op: '>=', value: 8 });
    expect(parseCriterion(' sum( rx_total{dir="in", proto="udp"} ) > 1e3 ')).toEqual({ text: 'sum( rx_total{dir="in", proto="udp"} ) > 1e3', aggregate: 'sum', metric: 'rx_total', labels: { dir: 'in', proto: 'udp' }, op: '>', value: 1000 });
  });
  it('refuses what it cannot judge, saying how to write it', () => {
    expect(parseCriterion('peers_connected is many')).toMatch(/is not a metric criterion; write e\.g\. "peers_connected >= 8"/);
    expect(parseCriterion('sum(peers >= 3')).toBe('"sum(peers >= 3": unbalanced parenthesis');
    expect(parseCriterion('peers{dir=in} > 1')).toBe('"peers{dir=in} > 1": label matcher "dir=in" must be name="value"');
  });
});

describe('parsing an exposition (parse-prometheus-text-format)', () => {
  it('flattens gauges, counters, histograms and summaries into samples', () => {
    const samples = parseExposition('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\nh_sum 4\nh_count 3\n# TYPE g gauge\ng{a="x"} 8\n# TYPE s summary\ns{quantile="0.5"} 7\ns_sum 1\ns_count 2\n');
    expect(samples).toEqual(
      expect.arrayContaining([
        { name: 'h_bucket', labels: { le: '+Inf' }, value: 3 },
        { name: 'h_count', labels: {}, value: 3 },
        { name: 'g', labels: { a: 'x' }, value: 8 },
        { name: 's', labels: { quantile: '0.5' }, value: 7 },
        { name: 's_count', labels: {}, value: 2 },
      ]),
    );
  });
  it('a body that is not the format is an error, not zero samples', () => {
    expect(() => parseExposition('<html>404</html>')).toThrow('not Prometheus text format (first line: "<html>404</html>")');
    expect(parseExposition('# only comments\n')).toEqual([]);
  });
});

describe('judging criteria', () => {
  it('per node: every node must hold; the ones that do not are named with their value', () => {
    const r = judgeCriterion(crit('peers_connected >= 8'), [scrape('a', [['peers_connected', 9]]), scrape('b', [['peers_connected', 3]]), scrape('c', [['other', 1]])]);
    expect(r).toMatchObject({ passed: false, values: { a: 9, b: 3, c: null }, failures: ['c: no sample peers_connected', 'b has 3'] });
  });
  it('aggregates over the nodes that have the series; a node that did not answer is named', () => {
    expect(judgeCriterion(crit('sum(peers_connected) >= 10'), [scrape('a', [['peers_connected', 6]]), scrape('b', [['peers_connected', 5]]), scrape('c', [])])).toMatchObject({ passed: true, aggregate: 11 });
    const r = judgeCriterion(crit('sum(peers_connected) >= 10'), [scrape('a', [['peers_connected', 6]]), scrape('b', [], false)]);
    expect(r).toMatchObject({ passed: false, aggregate: 6 });
    expect(r.failures).toEqual(['sum is 6', 'b: exporter did not answer at http://127.0.0.1:9464/metrics: Connection refused']);
    expect(judgeCriterion(crit('max(x{k="v"}) > 0'), [scrape('a', [['x', 1, { k: 'w' }]])]).failures).toEqual(['no node has a sample x{k="v"}']);
  });
  it('label matchers select series; per node the matching series are summed', () => {
    const r = judgeCriterion(crit('rx{proto="udp"} >= 5'), [scrape('a', [['rx', 2, { proto: 'udp', peer: 'b' }], ['rx', 3, { proto: 'udp', peer: 'c' }], ['rx', 100, { proto: 'tcp' }]])]);
    expect(r).toMatchObject({ passed: true, values: { a: 5 } });
  });
  it('no scrape at all fails every criterion; a down exporter without criteria degrades', () => {
    expect(judgeMetrics([crit('x > 1')], []).fails).toEqual(['metric x > 1 failed: no node was scraped']);
    expect(judgeMetrics([], [scrape('b', [], false)]).degrades).toEqual(['metrics: b: exporter did not answer at http://127.0.0.1:9464/metrics: Connection refused']);
  });
});

describe('scraping a node through its SSH connection', () => {
  const n = node('a', '10.0.0.2');
  it('runs curl as the node against 127.0.0.1 and parses the body', async () => {
    const calls: { command: string; asNode: boolean }[] = [];
    const { scrape: s, raw } = await scrapeNode(
      async (_n, command, o) => {
        calls.push({ command, asNode: o.asNode });
        return { code: 0, stdout: 'peers_connected 8\n\n200', stderr: '', timedOut: false, durationMs: 1 };
      },
      n,
      { port: 9464, path: '/metrics' },
      'test',
    );
    expect(calls).toEqual([{ command: renderScrapeCommand('http://127.0.0.1:9464/metrics'), asNode: true }]);
    expect(s).toMatchObject({ ok: true, node: 'a', samples: [{ name: 'peers_connected', labels: {}, value: 8 }] });
    expect(raw).toBe('peers_connected 8\n');
  });
  it('a refused connection, an HTTP error and a body that is not metrics are reasons, not exceptions', async () => {
    const run = (stdout: string, code: number, stderr = '') => scrapeNode(async () => ({ code, stdout, stderr, timedOut: false, durationMs: 1 }), n, { port: 9, path: '/m' }, 'test');
    expect((await run('\n000', 7, 'curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused')).scrape.error).toBe('exporter did not answer at http://127.0.0.1:9/m: curl: (7) Failed to connect to 127.0.0.1 port 9: Connection refused');
    expect((await run('nope\n404', 0)).scrape.error).toBe('exporter at http://127.0.0.1:9/m answered HTTP 404');
    expect((await run('<html>\n200', 0)).scrape.error).toMatch(/^exporter at http:\/\/127\.0\.0\.1:9\/m: not Prometheus text format/);
  });
});
