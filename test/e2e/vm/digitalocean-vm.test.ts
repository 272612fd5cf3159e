// The fake DigitalOcean's droplets as VMs (docs/architecture.md, "VM machines"): the provider's
// user_data goes to real cloud-init through NoCloud. Two droplets (a public one and one with
// the port-restricted NAT recipe rendered into its user_data) come up with our host key
// verified and cloud-init done, then destroy leaves nothing (droplets, keys, namespaces, qemu,
// overlays). Its dishonest twin, at the same time: a droplet whose user_data fails in
// cloud-init is reported with the droplet's node and cloud-init's own message.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import type { Fleet } from '../../../src/fleet/types.js';
import { DigitalOceanProvider } from '../../../src/providers/digitalocean/provider.js';
import { SshPool } from '../../../src/ssh/index.js';
import { systemExec } from '../../../src/lab/exec.js';
import { prepareVms } from '../../../src/vm/index.js';
import { processesMentioning } from '../../helpers/cli.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { VmDropletMachines } from '../../fakes/digitalocean/vm-machines.js';

const isRoot = process.getuid?.() === 0;
// In the suite's VM lane (vitest.config.ts), beside the integration files; VPS_TEST_VM=0 skips it
// (a machine where qemu's ~300 MB of packages are not wanted). Software emulation costs about a
// minute per boot on an idle 2-core machine (docs/architecture.md, "VM machines").
const wanted = process.env.VPS_TEST_VM !== '0';
if (!wanted) console.log('skipping VM tests: VPS_TEST_VM=0');
const BROKEN = 'vps-test: this setup step fails on purpose';

const planOf = (names: [string, string][]) =>
  ({
    provider: 'digitalocean',
    nodes: names.map(([name, nat]) => ({ name, role: 'peer', nat, arch: 'x86_64' })),
    digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000 },
  }) as Plan;

describe.skipIf(!isRoot || !wanted)('DigitalOcean droplets as VMs (fake API, real cloud-init)', () => {
  let work: string;
  let fake: FakeDigitalOcean;
  let machines: VmDropletMachines;
  let provider: DigitalOceanProvider;
  let good: PromiseSettledResult<Fleet>;
  let broken: PromiseSettledResult<Fleet>;
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
    provider = new DigitalOceanProvider({ env: { DIGITALOCEAN_TOKEN: fake.token, DIGITALOCEAN_API_URL: fake.url }, pollMs: 2000, bootTimeoutMs: 1_500_000 });
    const t0 = Date.now();
    [good, broken] = await Promise.allSettled([
      provider.provision(planOf([['boot', 'none'], ['natted', 'port-restricted']]), { runId: 'dovm1', runDir: join(work, 'dovm1'), log: () => undefined }),
      provider.provision(planOf([['broken', 'none']]), { runId: 'dovm2', runDir: join(work, 'dovm2'), log: () => undefined }),
    ]);
    seconds.provision = (Date.now() - t0) / 1000;
  }, 2_400_000);
  afterAll(async () => {
    console.log(`DigitalOcean VM test seconds: ${JSON.stringify(seconds)}`);
    await fake?.close();
    rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('two VM droplets run our user_data in real cloud-init: host keys verified, NAT recipe applied', async () => {
    if (good.status === 'rejected') throw good.reason;
    const fleet = good.value;
    const pool = SshPool.forFleet(fleet);
    try {
      for (const n of fleet.nodes) {
        const r = await pool.exec(n, 'cloud-init status --long; cat /proc/sys/kernel/random/boot_id; ip netns list');
        expect(r.stdout, n.name).toMatch(/^status: done/m);
        expect(r.stdout, n.name).toMatch(/DataSourceNoCloud/);
      }
      const natted = fleet.nodes.find((n) => n.name === 'natted')!;
      expect((await pool.exec(natted, 'ip netns list')).stdout).toMatch(/vtnode/);
    } finally {
      await pool.close();
    }
  });

  it('a cloud-init error in user_data is reported with the droplet and cloud-init\'s own message', () => {
    expect(broken.status).toBe('rejected');
    const message = (broken as PromiseRejectedResult).reason instanceof Error ? ((broken as PromiseRejectedResult).reason as Error).message : String((broken as PromiseRejectedResult).reason);
    expect(message).toMatch(/droplet of node "broken" \(198\.\d+\.\d+\.\d+\): cloud-init failed: /);
    expect(message).toMatch(/scripts_user|scripts-user|runcmd/);
  });

  it('destroy leaves nothing: droplets, keys, namespaces, qemu processes, overlays', async () => {
    await provider.destroy({ runId: 'dovm1', runDir: join(work, 'dovm1'), log: () => undefined });
    expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual([]);
    expect([...fake.account.keys.values()].map((k) => k.name)).toEqual([]);
    expect(await machines.namespaces()).toEqual([]);
    expect(processesMentioning(`vt${machines.runId}-`)).toEqual([]);
    expect(readdirSync(join(work, 'machines', 'vm')).flatMap((d) => readdirSync(join(work, 'machines', 'vm', d)))).toEqual([]);
    fake.assertNoViolations();
  });
});
