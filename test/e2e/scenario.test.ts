// Scenario examples end to end on the lab: the real CLI, real namespaces and sshd, nft
// partitions and path-evidence counters, and the small python3 subjects shipped in examples/.
// Each example passes; each broken twin fails naming what and where.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping e2e scenario tests: they need root (network namespaces, nftables, sshd)');

interface Step { index: number; kind: string; ok: boolean; skipped?: boolean; reason?: string; output?: string; peer?: string; peer_packets?: number; exit?: number | null; nodes: string[] }
interface Results { verdict: string; reasons: string[]; scenarios: { name: string; passed: boolean; diagnosis: string[]; steps: Step[] }[] }

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-scenario-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs an example (optionally edited) in a fresh folder; checks exit code, leaks; returns results and report. */
async function runExample(name: string, config: string, expectCode: 0 | 1, edit: (text: string) => string = (t) => t): Promise<{ results: Results; report: string; stdout: string }> {
  const cwd = join(work, name);
  cpSync(join(REPO_ROOT, 'examples'), join(cwd, 'examples'), { recursive: true });
  const path = join(cwd, 'examples', config);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  const r = await runCli(['run', join('examples', config), '--yes'], cwd);
  expect(r.code, r.stdout + r.stderr).toBe(expectCode);
  const runs = readdirSync(join(cwd, '.vps-test', 'runs'));
  expect(runs).toHaveLength(1);
  const runDir = join(cwd, '.vps-test', 'runs', runs[0] as string);
  expect(namespacesOf(runs[0] as string)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  return { results: JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Results, report: readFileSync(join(runDir, 'report.md'), 'utf8'), stdout: r.stdout };
}

describe.skipIf(!isRoot)('scenario examples on the lab', () => {
  it('cluster-exec: the identity captured on the agent reaches the agent through the manager', async () => {
    const { results, report } = await runExample('cluster-exec', 'cluster-exec.yml', 0);
    expect(results.verdict).toBe('pass');
    const [sc] = results.scenarios;
    expect(sc?.steps.map((s) => [s.kind, s.ok])).toEqual([['capture', true], ['run', true], ['run', true]]);
    expect(sc?.steps[1]?.output).toContain('executed on agent');
    // the agent's machine saw the manager's traffic: the command really went there
    expect(sc?.steps[1]?.peer_packets).toBeGreaterThan(0);
    expect(sc?.steps[2]?.exit).toBe(3);
    expect(report).toMatch(/### Scenario remote-exec: ✅ passed/);
  });

  it("cluster-exec-self: the manager's own identity configured for the agent fails naming the self-command", async () => {
    const { results, report, stdout } = await runExample('cluster-self', 'broken/cluster-exec-self.yml', 1);
    expect(results.verdict).toBe('fail');
    const step = results.scenarios[0]?.steps[1];
    expect(step).toMatchObject({ ok: false, nodes: ['manager'], peer: 'agent' });
    expect(step?.reason).toBe("self-command: {var:agent_id} is manager's own identity (captured on manager in step 1); the command meant for agent would only reach manager itself");
    expect(results.reasons[0]).toMatch(/^scenario remote-exec failed at step 2 \(run on manager: .*\) on manager: self-command: \{var:agent_id\} is manager's own identity/);
    expect(stdout).toContain('self-command');
    expect(report).toContain('self-command');
  });

  it('an identity the manager reads itself (never captured) is caught by path evidence: the agent saw no traffic', async () => {
    const { results } = await runExample('cluster-local', 'cluster-exec.yml', 1, (t) =>
      t.replaceAll('--to {var:agent_id}', '--to $(cat cluster.id)').replace('stdout: "executed on agent"', 'stdout: "executed on"'),
    );
    const step = results.scenarios[0]?.steps[1];
    expect(step).toMatchObject({ ok: false, exit: 0, peer_packets: 0 });
    expect(step?.reason).toMatch(/^self-command: agent never saw traffic from manager while the command ran \(0 packets at agent's machine\)/);
  });

  it('rpc-failover: 2-2-2 round robin, a provider killed, the next call served by another within 5 s, connections reused', async () => {
    const { results } = await runExample('rpc', 'rpc-failover.yml', 0);
    expect(results.verdict).toBe('pass');
    const steps = results.scenarios[0]?.steps ?? [];
    expect(steps.every((s) => s.ok)).toBe(true);
    expect(steps[4]?.output).toContain('spread provider-a=2 provider-b=2 provider-c=2');
    expect(steps[7]?.output).toMatch(/served-by provider-[bc]/);
    expect(steps[9]?.output).toMatch(/^3 lines match \/Creating connection\//);
    expect(steps.slice(10).map((s) => s.kind)).toEqual(['restart', 'mark', 'run', 'log_count']);
    expect(steps[13]?.output).toMatch(/^1 line matches \/Creating connection\/ in \S+ \(after-restart \.\. now\)/);
  });

  it('rpc-no-failover: the killed provider is never replaced; the run fails naming the step', async () => {
    const { results, report } = await runExample('rpc-broken', 'broken/rpc-no-failover.yml', 1);
    const steps = results.scenarios[0]?.steps ?? [];
    expect(steps.filter((s) => !s.ok).map((s) => s.index)).toEqual([8, 9]);
    expect(steps[7]).toMatchObject({ exit: 1, reason: 'exit code 1, expected 0', nodes: ['client'] });
    expect(results.reasons[0]).toMatch(/^scenario failover failed at step 8 \(run on client: \{bin\} call --listen 7300\) on client, exit 1: exit code 1, expected 0 \(output: error \S+: .+\)$/);
    expect(report).toMatch(/Step 8 on client, exit 1: exit code 1, expected 0/);
  });

  it('udp-vs-tcp: only UDP is dropped between the workers; the report says UDP fails while TCP works, naming the pair', async () => {
    const { results, report } = await runExample('udp-tcp', 'udp-vs-tcp.yml', 1);
    const sc = results.scenarios[0];
    expect(sc?.steps.map((s) => s.ok)).toEqual([true, false, true, true]);
    expect(sc?.diagnosis).toEqual(['UDP fails while TCP works from worker-a to worker-b (UDP steps 2; TCP steps 3)']);
    expect(results.reasons[0]).toBe('scenario dht-link: UDP fails while TCP works from worker-a to worker-b (UDP steps 2; TCP steps 3)');
    expect(report).toContain('UDP fails while TCP works from worker-a to worker-b');
  });

  it("udp-vs-tcp from a NAT-ed node: the partition is applied on its router, which drops the UDP", async () => {
    const { results } = await runExample('udp-tcp-nat', 'udp-vs-tcp.yml', 1, (t) =>
      t
        .replace('- { name: worker-b }', '- { name: worker-b, nat: port-restricted }')
        .replaceAll('on: worker-a, cmd: "{bin} probe', 'on: worker-b, cmd: "{bin} probe')
        .replaceAll('{node:worker-b.ip} 7400", peer: worker-b', '{node:worker-a.ip} 7400", peer: worker-a'),
    );
    const sc = results.scenarios[0];
    expect(sc?.diagnosis).toEqual(['UDP fails while TCP works from worker-b to worker-a (UDP steps 2; TCP steps 3)']);
    expect(sc?.steps[2]?.peer_packets).toBeGreaterThan(0);
    // the router of worker-b dropped the datagram before it left (worker-a never saw it)
    expect(sc?.steps[3]?.output).toMatch(/\[worker-b\] healed; [1-9]\d* packets had been dropped/);
    expect(sc?.steps[3]?.output).toMatch(/\[worker-a\] healed; 0 packets had been dropped/);
  });

  it('udp-vs-tcp with nothing dropped passes', async () => {
    const { results } = await runExample('udp-tcp-open', 'udp-vs-tcp.yml', 0, (t) => t.replace(/^ {8}- partition: .*\n/m, ''));
    expect(results.verdict).toBe('pass');
    expect(results.scenarios[0]?.steps.map((s) => [s.kind, s.ok])).toEqual([['run', true], ['run', true], ['heal', true]]);
    expect(results.scenarios[0]?.diagnosis).toEqual([]);
  });
});
