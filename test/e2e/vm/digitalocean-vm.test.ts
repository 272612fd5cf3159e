// The fake DigitalOcean's droplets as VMs (docs/architecture.md, "VM machines"): `vps-test run`
// on provider digitalocean whose two droplets (a public bootstrap and a port-restricted NAT node)
// are qemu VMs, so the provider's user_data runs in real cloud-init (NoCloud), the NAT recipe in
// the guest's own kernel. The run passes with the oracle's paths seen by the droplets' counters;
// kept, the droplets show cloud-init done from the NoCloud seed and the node's namespace behind
// the recipe; `down` then leaves nothing (droplets, key, namespaces and taps, qemu, overlays).
// Its dishonest twin, at the same time: a droplet whose user_data fails in cloud-init is reported
// with the droplet's node and cloud-init's own message.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import type { Fleet } from '../../../src/fleet/types.js';
import { DigitalOceanProvider } from '../../../src/providers/digitalocean/provider.js';
import { readFleet } from '../../../src/providers/fleet-file.js';
import { SshPool } from '../../../src/ssh/index.js';
import { systemExec } from '../../../src/lab/exec.js';
import { prepareVms } from '../../../src/vm/index.js';
import { processesMentioning, runCli } from '../../helpers/cli.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { VmDropletMachines } from '../../fakes/digitalocean/vm-machines.js';

const isRoot = process.getuid?.() === 0;
// In the suite's VM lane (vitest.config.ts), beside the integration files; VPS_TEST_VM=0 skips it
// (a machine where qemu's ~300 MB of packages are not wanted). Software emulation costs about a
// minute per boot on an idle 2-core machine (docs/architecture.md, "VM machines").
const wanted = process.env.VPS_TEST_VM !== '0';
if (!wanted) console.log('skipping VM tests: VPS_TEST_VM=0');
const BROKEN = 'vps-test: this setup step fails on purpose';

// a boot in software emulation beside the lab tests can take minutes: the run is given time
const CONFIG = `project: do-vm
fleet:
  provider: digitalocean
  digitalocean: { region: nyc3, size: s-1vcpu-1gb, image: ubuntu-24-04-x64, ttl: 2h, boot_timeout: 20m }
  nodes:
    - { name: boot, role: bootstrap }
    - { name: natted, nat: port-restricted }
tests:
  connectivity: { trials: 3, min_attempts: 3, criteria: { direct: 99, nat_traversed: 85 } }
report: { pr_comment: false, journal: false, artifacts: true }
`;

const brokenPlan = {
  provider: 'digitalocean',
  nodes: [{ name: 'broken', role: 'peer', nat: 'none', arch: 'x86_64' }],
  digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000 },
} as Plan;

interface PairJson { suite: string; from: string; to: string; observed_path: string; attempts: number; successes: number; evidence?: Record<string, number> }

describe.skipIf(!isRoot || !wanted)('vps-test run on DigitalOcean droplets that are VMs (fake API, real cloud-init)', () => {
  let work: string;
  let cwd: string;
  let fake: FakeDigitalOcean;
  let machines: VmDropletMachines;
  let run: { code: number | null; stdout: string; stderr: string };
  let runDir: string;
  let runId: string;
  let broken: PromiseSettledResult<Fleet>;
  const env = () => ({ DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token });
  const seconds: Record<string, number> = {};
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vt-do-vm-'));
    const { image, accel } = await prepareVms(systemExec, () => undefined);
    machines = await VmDropletMachines.start({
      root: join(work, 'machines'),
      image,
      accel,
      // the broken run's droplet: its setup command replaced by one that fails, the rest (host key) kept
      userDataFault: (d) => (d.name.includes('broken') && d.userData ? d.userData.replace(/runcmd:[\s\S]*$/, `runcmd:\n  - [sh, -c, "echo '${BROKEN}' >&2; exit 3"]\n`) : undefined),
    });
    fake = new FakeDigitalOcean({ machines });
    await fake.start();
    cwd = join(work, 'project');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), CONFIG);
    const provider = new DigitalOceanProvider({ env: env(), pollMs: 2000, bootTimeoutMs: 1_500_000 });
    const t0 = Date.now();
    const [ran, failed] = await Promise.allSettled([
      runCli(['run', '--yes', '--keep'], cwd, env()),
      provider.provision(brokenPlan, { runId: 'dovmbad', runDir: join(work, 'dovmbad'), log: () => undefined }),
    ]);
    seconds.runAndBroken = (Date.now() - t0) / 1000;
    if (ran.status === 'rejected') throw ran.reason;
    run = ran.value;
    broken = failed;
    runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    runDir = join(cwd, '.vps-test', 'runs', runId);
  }, 2_400_000);
  afterAll(async () => {
    console.log(`DigitalOcean VM test seconds: ${JSON.stringify(seconds)}`);
    if (runId) await runCli(['down', runId], cwd, env());
    await fake?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('the run passes: the oracle paths, seen by the droplets\' own counters', () => {
    const out = run.stdout + run.stderr;
    expect(run.code, out.split('\n').slice(-40).join('\n')).toBe(0);
    expect(out).toMatch(/digitalocean: 2 droplet\(s\) up, host keys verified/);
    expect(out).not.toContain(fake.token);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: PairJson[] };
    expect(results.verdict).toBe('pass');
    const pairs = results.pairs.filter((p) => p.suite === 'connectivity').map((p) => [`${p.from}>${p.to}`, p.observed_path, p.successes, p.attempts, p.evidence?.direct]);
    expect(pairs.sort()).toEqual([
      ['boot>natted', 'hole_punch', 3, 3, 3],
      ['natted>boot', 'direct', 3, 3, 3],
    ]);
  });

  it('the droplets ran our user_data in real cloud-init from the NoCloud seed: done, NAT recipe applied', async () => {
    const fleet = await readFleet(runDir);
    const pool = SshPool.forFleet(fleet);
    try {
      for (const n of fleet.nodes) {
        const r = await pool.exec(n, 'cloud-init status --long; systemctl is-system-running || true');
        expect(r.stdout, n.name).toMatch(/^status: done/m);
        expect(r.stdout, n.name).toMatch(/DataSourceNoCloud/);
      }
      const natted = fleet.nodes.find((n) => n.name === 'natted') as Fleet['nodes'][number];
      expect((await pool.exec(natted, 'ip netns list')).stdout).toMatch(/vtnode/);
    } finally {
      await pool.close();
    }
  });

  it('a cloud-init error in user_data is reported with the droplet and cloud-init\'s own message', () => {
    expect(broken.status).toBe('rejected');
    const reason = (broken as PromiseRejectedResult).reason as unknown;
    const message = reason instanceof Error ? reason.message : String(reason);
    expect(message).toMatch(/droplet of node "broken" \(198\.\d+\.\d+\.\d+\): cloud-init failed: /);
    expect(message).toMatch(/scripts_user|scripts-user|runcmd/);
  });

  it('down leaves nothing: droplets, keys, namespaces and taps, qemu processes, overlays', async () => {
    const down = await runCli(['down', runId], cwd, env());
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(down.stderr).toMatch(/logs collected from 2 of 2 nodes/);
    runId = '';
    expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual([]);
    expect([...fake.account.keys.values()].map((k) => k.name)).toEqual([]);
    expect(await machines.namespaces()).toEqual([]);
    expect(processesMentioning(`vt${machines.runId}-`)).toEqual([]);
    expect(readdirSync(join(work, 'machines', 'vm')).flatMap((d) => readdirSync(join(work, 'machines', 'vm', d)))).toEqual([]);
    fake.assertNoViolations();
  });
});
