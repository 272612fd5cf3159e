// One VM machine behind a lab NAT router (docs/architecture.md, "VM machines"): the smallest
// real check of the path, one boot for the whole file. Verified SSH through the router's SSH
// forward, real cloud-init done, the guest's netem measured by ping, a hardened systemd unit
// started, ready, restarted by systemd after a kill, its journal collected, and nothing left.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../src/lab/lab.js';
import { systemExec } from '../../../src/lab/exec.js';
import { prepareVms, VmMachines } from '../../../src/vm/index.js';
import { SshPool } from '../../../src/ssh/index.js';
import { serviceStatus, startService } from '../../../src/deploy/service.js';
import { collectLogs } from '../../../src/deploy/logs.js';
import type { FleetNode } from '../../../src/fleet/types.js';
import { namespacesOf } from '../../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
const wanted = process.env.VPS_TEST_VM === '1';
if (!wanted) console.log('skipping VM tests: set VPS_TEST_VM=1 (they boot qemu VMs, minutes each without hardware KVM)');
const RUN = `vmm${process.pid % 10000}`;

describe.skipIf(!isRoot || !wanted)('a VM machine behind a lab NAT', () => {
  let work: string;
  let lab: Lab;
  let pool: SshPool;
  let vms: VmMachines;
  const node = (name: string) => lab.fleet.nodes.find((n) => n.name === name) as FleetNode;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vt-vm-machine-'));
    const { image, accel } = await prepareVms(systemExec, () => undefined);
    vms = new VmMachines({ image, accel });
    const nodes = [
      { name: 'boot', nat: 'none' as const, role: 'bootstrap' as const },
      { name: 'vm0', nat: 'full-cone' as const, role: 'peer' as const, machine: 'vm' as const, impair: { delayMs: 50 } },
    ];
    lab = await createLab({ runId: RUN, nodes, labRoot: join(work, 'lab') }, { handleSignals: false, machines: vms });
    pool = SshPool.forFleet(lab.fleet);
  }, 1_500_000);
  afterAll(async () => {
    await pool?.close();
    await lab?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('boots with verified SSH through the router and cloud-init done; its own kernel', async () => {
    expect(vms.boots).toHaveLength(1);
    console.log(`VM boot: ${JSON.stringify(vms.boots[0])}`);
    const r = await pool.exec(node('vm0'), 'cloud-init status; cat /proc/sys/kernel/random/boot_id');
    expect(r.stdout).toMatch(/^status: done/m);
    expect(r.stdout).not.toContain(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(node('vm0').systemd).toBe(true);
    expect(node('boot').systemd).toBe(false);
  });

  it('impair: {delay: 50ms} is the guest\'s netem, measured by ping', async () => {
    const r = await pool.exec(node('vm0'), `tc qdisc show dev eth0; ping -n -c 5 -i 0.3 ${node('boot').publicIp}`, { timeoutMs: 60_000 });
    expect(r.stdout).toMatch(/netem .*delay 50ms/);
    const min = Number(/= ([\d.]+)\//.exec(r.stdout)?.[1]);
    expect(min).toBeGreaterThanOrEqual(50);
  });

  it('a hardened systemd unit: started, ready, restarted after a kill, journal collected', async () => {
    const vm = node('vm0');
    const started = await startService(pool, vm, { name: 'echo', command: 'python3 -m http.server 7300 --bind 0.0.0.0', ready: { tcp: 7300, timeoutMs: 120_000 } });
    expect(started.readyMs).toBeDefined();
    expect((await pool.exec(vm, 'systemctl show -p ProtectSystem -p NoNewPrivileges vps-test-echo.service')).stdout).toMatch(/NoNewPrivileges=yes[\s\S]*ProtectSystem=strict|ProtectSystem=strict[\s\S]*NoNewPrivileges=yes/);
    await pool.exec(vm, `kill -9 ${started.pid}`);
    let status = await serviceStatus(pool, vm, 'echo');
    for (let i = 0; i < 90 && !(status.running && status.pid !== started.pid); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      status = await serviceStatus(pool, vm, 'echo');
    }
    expect(status).toMatchObject({ running: true, restarts: 1 });
    expect(status.pid).not.toBe(started.pid);
    const [logs] = await collectLogs(pool, [vm], join(work, 'logs'));
    expect(logs?.ok).toBe(true);
    const journal = readFileSync(join(work, 'logs', 'vm0', 'journal.txt'), 'utf8');
    expect(journal).toMatch(/vps-test-echo\.service: Main process exited, code=killed, status=9\/KILL/);
    expect(journal).toMatch(/vps-test-echo\.service: Scheduled restart job/);
  });

  it('destroy leaves no namespace, qemu, overlay or seed', async () => {
    await pool.close();
    await lab.destroy();
    expect(namespacesOf(RUN)).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`qemu-system-x86_64 -name vt${RUN}-`))).toEqual([]);
    expect(readdirSync(join(work, 'lab', 'vm', 'vm0'))).toEqual(['console.log']);
  });
});
