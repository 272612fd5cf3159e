// Path evidence and trial independence on droplets (fake API, droplets are lab machines with
// sshd): the counters cloud-init installed are read over SSH, the NAT flush forgets the node's
// connections and the cone map but not our SSH session; a subject that claims pairs it never
// sent to fails with the evidence reason (the dishonest twin); a controller killed mid-test is
// finished by `vps-test stop RUN`, which leaves no droplet, key or namespace.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import { DigitalOceanProvider } from '../../../src/providers/digitalocean/provider.js';
import { SshPool } from '../../../src/ssh/index.js';
import { REPO_ROOT, runCli, startCli } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/lab-runs.js';
import { LabMachines } from '../../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { startFakeCloud, stopFakeCloud } from '../../helpers/fake-digitalocean.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping digitalocean evidence tests: the fake droplets need root (network namespaces, sshd)');

describe.skipIf(!isRoot)('path evidence and NAT flushes on droplets (fake API, lab machines)', () => {
  let work: string;
  let fake: FakeDigitalOcean;
  let machines: LabMachines;
  beforeAll(async () => {
    ({ work, fake, machines } = await startFakeCloud('vt-do-evidence-'));
  });
  afterAll(() => stopFakeCloud({ work, fake }));
  const env = () => ({ DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token, VPS_TEST_STATE_DIR: join(work, 'state') });
  const nothingLeft = async () => {
    expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual([]);
    expect([...fake.account.keys.values()].map((k) => k.name)).toEqual([]);
    expect(await machines.namespaces()).toEqual([]);
    fake.assertNoViolations();
  };

  it('counters read over SSH see what was sent; the flush empties the cone map and the node\'s connections, not our SSH session', async () => {
    const provider = new DigitalOceanProvider({ env: env(), pollMs: 200, bootTimeoutMs: 60_000 });
    const plan = {
      provider: 'digitalocean',
      nodes: [
        { name: 'cone', role: 'peer', nat: 'full-cone', arch: 'x86_64' },
        { name: 'pub', role: 'bootstrap', nat: 'none', arch: 'x86_64' },
      ],
      digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 600_000 },
    } as Plan;
    const run = { runId: 'evflush', runDir: join(work, 'evflush'), log: () => undefined };
    const fleet = await provider.provision(plan, run);
    const pool = SshPool.forFleet(fleet);
    try {
      const [cone, pub] = fleet.nodes as [(typeof fleet.nodes)[0], (typeof fleet.nodes)[0]];
      const trials = provider.trials(fleet, pool);
      await trials.readEvidence(); // the baseline
      // the node behind the NAT sends three datagrams to the public droplet
      const sent = await pool.exec(cone, `bash -c 'for i in 1 2 3; do echo hi > /dev/udp/${pub.publicIp}/7999; done'`, { asNode: true });
      expect(sent.code, sent.stderr).toBe(0);
      const seen = await trials.readEvidence();
      expect(seen.get('cone')?.out.get(pub.publicIp)).toBe(3);
      expect(seen.get('pub')?.in.get(cone.publicIp)).toBe(3);
      // (pub's kernel answers each with an ICMP port unreachable: counted as pub -> cone)
      // a second read counts only what came since
      expect((await trials.readEvidence()).get('cone')?.out.size).toBe(0);

      const state = async () => ({
        flows: (await pool.exec(cone, 'conntrack -L -s 10.200.0.2 2>/dev/null')).stdout.trim(),
        ssh: (await pool.exec(cone, 'conntrack -L -p tcp --dport 22 2>/dev/null')).stdout.trim(),
        cone: await pool.exec(cone, 'nft list map ip vtnat fullcone').then((x) => x.stdout + x.stderr),
      });
      const before = await state();
      expect(before.flows).toMatch(/dport=7999/);
      expect(before.cone).toMatch(/udp \. \d+ [^,}]*: 10\.200\.0\.2 \. \d+/); // the node's mapping
      await trials.flushNat();
      const after = await state();
      expect(after.flows).toBe('');
      expect(after.cone).not.toContain('10.200.0.2');
      expect(after.ssh).toMatch(/dport=22/); // our session's state survives the flush
    } finally {
      await pool.close();
      await provider.destroy(run);
    }
    await nothingLeft();
  });

  it('dishonest twin: a subject claiming pairs it never sent to fails with the evidence reason on droplets', async () => {
    const cwd = join(work, 'liar');
    mkdirSync(cwd, { recursive: true });
    cpSync(join(REPO_ROOT, 'examples', 'broken', 'liar.c'), join(cwd, 'liar.c'));
    writeFileSync(
      join(cwd, '.vps-test.yml'),
      `project: do-liar
build: { kind: c, source: liar.c, binary: liar }
fleet:
  provider: digitalocean
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: public }
    - { name: fullcone, nat: full-cone }
subject:
  driver: command
  connect:
    run: "{bin} connect {peer.name}"
    success: { stdout: "connected to" }
tests:
  connectivity: { trials: 2, min_attempts: 2 }
`,
    );
    const r = await runCli(['run', '--yes'], cwd, env());
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const runDir = join(cwd, '.vps-test', 'runs', readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { reasons: string[]; pairs: { from: string; to: string; attempts: number; successes: number; evidence?: Record<string, number> }[] };
    expect(results.reasons[0]).toMatch(/^false success: 12 attempts on 6 pairs claimed what the network did not see \(the connect command succeeded but the network saw no packets between the two ends: bootstrap->public, /);
    expect(results.pairs).toHaveLength(6);
    for (const p of results.pairs) expect(p, `${p.from}->${p.to}`).toMatchObject({ successes: 0, evidence: { none: 2 } });
    await nothingLeft();
  });

  it('the controller killed mid-test: `vps-test stop RUN` evaluates, reports and removes every droplet and key', async () => {
    const cwd = join(work, 'stop');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, '.vps-test.yml'),
      `project: do-stop
fleet:
  provider: digitalocean
  nodes:
    - { name: boot, role: bootstrap }
    - { name: sym, nat: symmetric }
tests:
  connectivity: { trials: 200, min_attempts: 2 }
`,
    );
    const cli = startCli(['run', '--yes'], cwd, env());
    await waitFor(cli, /round 1\/200 done/, 120_000);
    cli.child.kill('SIGKILL');
    await cli.done;
    expect(fake.account.droplets.size).toBe(2); // nobody cleaned up
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    // status: the run is orphaned, and its provider's view shows both droplets as this user's
    const st = await runCli(['status', runId, '--json'], cwd, env());
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { condition: string; cloud: { runId: string; known: boolean; machines: { status: string; hourlyUsd: number }[] }[] };
    expect(status.condition).toBe('orphaned');
    expect(status.cloud).toEqual([expect.objectContaining({ runId, known: true, machines: [expect.objectContaining({ status: 'active', hourlyUsd: 0.00893 }), expect.objectContaining({ status: 'active' })] })]);
    const r = await runCli(['stop', runId], cwd, env());
    expect(r.stderr).toMatch(/its controller \(pid \d+\) is gone; evaluate, report, teardown here/);
    expect(r.stdout).toMatch(/controller died during test/);
    expect(r.stdout).toMatch(new RegExp(`vps-test stop ${runId}: ERROR; fleet down`));
    expect(existsSync(join(cwd, '.vps-test', 'runs', runId, 'report.md'))).toBe(true);
    await nothingLeft();
  });
});
