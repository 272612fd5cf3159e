// throughput and gossip on the lab through `vps-test run`: a rate-limited node really measures
// slower (and fails min_mbps), and a message from every origin reaches every other node.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namespacesOf, runCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping throughput/gossip e2e: needs root (network namespaces, tc, sshd)');

const work = mkdtempSync(join(tmpdir(), 'vps-test-tg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Results {
  verdict: string;
  reasons: string[];
  throughput: { from: string; to: string; mbps: number; passed: boolean }[];
  gossip: { messages: number; delivery: number; per_message: { origin: string; delivered: number; expected: number }[] };
}

describe.skipIf(!isRoot)('throughput and gossip suites', () => {
  it('measure a 20 mbit link, fail its pairs against min_mbps 50, and deliver every gossip message', async () => {
    const cwd = join(work, 'run');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), `project: tg
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: pub }
    - { name: fc, nat: full-cone }
    - { name: slow, nat: symmetric, impair: { rate: 20mbit } }
tests:
  throughput: { seconds: 2, pairs: all, criteria: { min_mbps: 50 } }
  gossip: { fanout: 2, criteria: { delivery: 100 } }
`);
    const r = await runCli(['run', '--yes'], cwd);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    const results = JSON.parse(readFileSync(join(cwd, '.vps-test', 'runs', runId, 'results.json'), 'utf8')) as Results;
    expect(results.verdict).toBe('fail');
    // every node sends to both public nodes: 6 pairs, none to a NAT'd node (a sink must be reachable)
    expect(results.throughput.map((t) => `${t.from}->${t.to}`).sort()).toEqual(['bootstrap->pub', 'fc->bootstrap', 'fc->pub', 'pub->bootstrap', 'slow->bootstrap', 'slow->pub']);
    for (const t of results.throughput) {
      if (t.from === 'slow') {
        expect(t.mbps).toBeGreaterThan(10);
        expect(t.mbps).toBeLessThan(21);
        expect(t.passed).toBe(false);
      } else {
        expect(t.mbps).toBeGreaterThan(50);
        expect(t.passed).toBe(true);
      }
    }
    expect(results.reasons.join('\n')).toMatch(/throughput.*slow->(bootstrap|pub)/);
    expect(results.gossip.messages).toBe(4);
    expect(results.gossip.delivery).toBe(100);
    for (const m of results.gossip.per_message) expect(m).toMatchObject({ delivered: 3, expected: 3 });
    expect(namespacesOf(runId)).toEqual([]);
  });
});
