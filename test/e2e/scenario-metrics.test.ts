// Metrics end to end on the lab: the example's exporter on every node, scraped through SSH
// (curl inside each node's namespace), criteria judged on the samples; a node that reports too
// few peers and a node whose exporter is down are named.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping e2e metrics tests: they need root (network namespaces, nftables, sshd)');

interface Criterion { criterion: string; passed: boolean; values: Record<string, number | null>; aggregate?: number | null; failures: string[] }
interface Results { verdict: string; reasons: string[]; prometheus: { scrapes: { node: string; ok: boolean; error?: string; samples: number; evidence?: string }[]; criteria: Criterion[] } }

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-metrics-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runMetrics(name: string, expectCode: 0 | 1, edit: (t: string) => string = (t) => t): Promise<{ results: Results; report: string; runDir: string }> {
  const cwd = join(work, name);
  cpSync(join(REPO_ROOT, 'examples'), join(cwd, 'examples'), { recursive: true });
  const path = join(cwd, 'examples', 'metrics.yml');
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  const r = await runCli(['run', 'examples/metrics.yml', '--yes'], cwd);
  expect(r.code, r.stdout + r.stderr).toBe(expectCode);
  const [run] = readdirSync(join(cwd, '.vps-test', 'runs'));
  const runDir = join(cwd, '.vps-test', 'runs', run as string);
  expect(namespacesOf(run as string)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  return { results: JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Results, report: readFileSync(join(runDir, 'report.md'), 'utf8'), runDir };
}

describe.skipIf(!isRoot)('metrics on the lab', () => {
  it('scrapes every exporter through SSH, keeps the expositions, and the criteria pass', async () => {
    const { results, report, runDir } = await runMetrics('pass', 0);
    expect(results.verdict).toBe('pass');
    expect(results.prometheus.scrapes.map((s) => [s.node, s.ok, s.samples])).toEqual([
      ['node-a', true, 2],
      ['node-b', true, 2],
      ['node-c', true, 2],
    ]);
    expect(results.prometheus.criteria.map((c) => [c.criterion, c.passed, c.aggregate ?? null])).toEqual([
      ['peers_connected >= 8', true, null],
      ['sum(peers_connected) >= 20', true, 24],
      ['max(messages_relayed_total{node="node-a"}) == 80', true, 80],
    ]);
    expect(readFileSync(join(runDir, 'metrics', 'test', 'node-b.prom'), 'utf8')).toContain('peers_connected 8');
    expect(report).toMatch(/\| peers\\_connected >= 8 \| ✅ pass \| 8 \| 8 \| 8 \|/);
  });

  it('fails naming the node that reports too few peers', async () => {
    const { results } = await runMetrics('few', 1, (t) =>
      t.replace('command: "{bin} --port 9464 --peers 8 --node {node}"', `command: "if [ {node} = node-b ]; then p=3; else p=8; fi; exec {bin} --port 9464 --peers $p --node {node}"`),
    );
    const [each, sum] = results.prometheus.criteria;
    expect(each).toMatchObject({ passed: false, values: { 'node-a': 8, 'node-b': 3, 'node-c': 8 }, failures: ['node-b has 3'] });
    expect(sum).toMatchObject({ passed: false, aggregate: 19, failures: ['sum is 19'] });
    expect(results.reasons).toEqual(['metric peers_connected >= 8 failed: node-b has 3', 'metric sum(peers_connected) >= 20 failed: sum is 19']);
  });

  it('names a node whose exporter is down', async () => {
    const { results, report } = await runMetrics('down', 1, (t) => t.replace(/(\n\s+steps:\n)/, '$1        - kill: { on: node-c }\n'));
    const down = results.prometheus.scrapes.find((s) => s.node === 'node-c');
    expect(down?.ok).toBe(false);
    expect(down?.error).toMatch(/^exporter did not answer at http:\/\/127\.0\.0\.1:9464\/metrics: /);
    expect(results.reasons[0]).toMatch(/^metric peers_connected >= 8 failed: node-c: exporter did not answer at http:\/\/127\.0\.0\.1:9464\/metrics/);
    expect(results.reasons.some((r) => r.startsWith('metric sum(peers_connected) >= 20 failed: sum is 16; node-c: exporter did not answer'))).toBe(true);
    expect(report).toContain('node-c: exporter did not answer');
  });
});
