// VM machines end to end (docs/architecture.md, "VM machines"): `vps-test run
// examples/vm-nat-matrix.yml` on a lab where the public node and the full-cone and symmetric
// hosts are VMs (qemu, real cloud-init, own kernels). One fleet for the whole file (3 VMs boot
// at once, once): the oracle matrix, the guest's netem measured by ping, a hardened systemd unit
// started, found ready, restarted by systemd after a kill and its journal collected at
// teardown, and nothing left behind. The base image is built here when this machine has none.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli } from '../../helpers/cli.js';
import { readFleet } from '../../../src/providers/fleet-file.js';
import { SshPool } from '../../../src/ssh/index.js';
import { serviceStatus, startService } from '../../../src/deploy/service.js';
import type { Fleet, FleetNode } from '../../../src/fleet/types.js';
import type { ServiceSpec } from '../../../src/deploy/service-spec.js';

const isRoot = process.getuid?.() === 0;
// In the suite's VM lane (vitest.config.ts), beside the integration files; VPS_TEST_VM=0 skips it
// (a machine where qemu's ~300 MB of packages are not wanted). Software emulation costs about a
// minute per boot on an idle 2-core machine (docs/architecture.md, "VM machines").
const wanted = process.env.VPS_TEST_VM !== '0';
if (!wanted) console.log('skipping VM tests: VPS_TEST_VM=0');
const VMS = ['public', 'fullcone', 'symmetric'];
const PUBLIC = new Set(['bootstrap', 'public']);
const NEEDS_RELAY = new Set(['portrestr>symmetric', 'symmetric>portrestr', 'symmetric>symmetric']);
const handExpected = (from: string, to: string) => (PUBLIC.has(to) ? 'direct' : NEEDS_RELAY.has(`${from}>${to}`) ? 'relay' : 'hole_punch');

interface PairJson { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number }

let work: string;
let runDir: string;
let runId: string;
let fleet: Fleet;
let pool: SshPool;
let run: { code: number | null; stdout: string; stderr: string };
const seconds: Record<string, number> = {};
const node = (name: string) => fleet.nodes.find((n) => n.name === name) as FleetNode;

describe.skipIf(!isRoot || !wanted)('VM machines on the lab', () => {
  beforeAll(async () => {
    const t0 = Date.now();
    // CI starts from a clean machine: the image is built once, then cached for every later run
    execFileSync('bash', [join(REPO_ROOT, 'scripts/vm/build-image.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    seconds.image = (Date.now() - t0) / 1000;
    work = mkdtempSync(join(tmpdir(), 'vps-test-vm-'));
    const t1 = Date.now();
    run = await runCli(['run', join(REPO_ROOT, 'examples/vm-nat-matrix.yml'), '--yes', '--keep'], work);
    seconds.run = (Date.now() - t1) / 1000;
    if (run.code !== 0) console.log(`vps-test run failed (exit ${run.code}):\n${(run.stdout + run.stderr).split('\n').slice(-40).join('\n')}`);
    const runs = readdirSync(join(work, '.vps-test', 'runs'));
    runDir = join(work, '.vps-test', 'runs', runs[0] as string);
    runId = runs[0] as string;
    fleet = await readFleet(runDir).catch(() => ({ runId, provider: 'local', nodes: [], clientKeyPath: '/nonexistent' }));
    pool = new SshPool({ clientKeyPath: fleet.clientKeyPath });
  }, 3_000_000);

  afterAll(async () => {
    await pool?.close();
    if (runId) await runCli(['down', runId], work);
    console.log(`VM test seconds: ${JSON.stringify(seconds)}`);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('runs the example: the VMs booted with verified SSH and the oracle matrix holds', () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const vm of VMS) expect(run.stdout + run.stderr).toMatch(new RegExp(`vm ${vm}: verified SSH after [\\d.]+ s, cloud-init done`));
    expect(run.stdout + run.stderr).toMatch(/vm: 3 machine\(s\)/);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: PairJson[] };
    expect(results.verdict).toBe('pass');
    const pairs = results.pairs.filter((p) => p.suite === 'connectivity');
    expect(pairs).toHaveLength(30);
    for (const p of pairs) {
      const expected = handExpected(p.from, p.to);
      expect(p.observed_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.successes, `${p.from}->${p.to}`).toBe(p.attempts);
    }
  });

  it('the VMs run their own kernel and systemd; the namespaces do not', async () => {
    for (const vm of VMS) {
      const n = node(vm);
      expect(n.systemd).toBe(true);
      const r = await pool.exec(n, 'cat /proc/sys/kernel/random/boot_id; systemctl is-system-running --wait || true; cloud-init status');
      expect(r.stdout, vm).toMatch(/status: done/);
      expect(r.stdout.split('\n')[0]).not.toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    }
    expect(node('restricted').systemd).toBe(false);
  });

  it('impair: {delay: 50ms} goes through the guest\'s netem, measured by ping', async () => {
    const minRtt = async (from: FleetNode, to: string) => {
      const r = await pool.exec(from, `ping -n -c 5 -i 0.3 ${to}`, { timeoutMs: 30_000 });
      const min = /= ([\d.]+)\//.exec(r.stdout)?.[1];
      expect(min, r.stdout + r.stderr).toBeDefined();
      return Number(min);
    };
    const boot = node('bootstrap').publicIp;
    const qdisc = await pool.exec(node('public'), 'tc qdisc show dev eth0');
    expect(qdisc.stdout).toMatch(/netem .*delay 50ms/);
    seconds.pingDelayedMs = await minRtt(node('public'), boot);
    seconds.pingPlainMs = await minRtt(node('fullcone'), boot);
    expect(seconds.pingDelayedMs).toBeGreaterThanOrEqual(50);
    expect(seconds.pingPlainMs).toBeLessThan(50);
  });

  it('a service runs as a hardened systemd unit: started, ready, restarted by systemd after a kill', async () => {
    const vm = node('public');
    const spec: ServiceSpec = { name: 'echo', command: 'python3 -m http.server 7300 --bind 0.0.0.0', ready: { tcp: 7300, timeoutMs: 60_000 } };
    const started = await startService(pool, vm, spec);
    expect(started.pid).toBeGreaterThan(0);
    expect(started.readyMs).toBeDefined();
    const unit = await pool.exec(vm, 'systemctl show -p ProtectSystem -p NoNewPrivileges -p ActiveState vps-test-echo.service');
    expect(unit.stdout).toMatch(/ProtectSystem=strict/);
    expect(unit.stdout).toMatch(/NoNewPrivileges=yes/);
    expect(unit.stdout).toMatch(/ActiveState=active/);
    await pool.exec(vm, `kill -9 ${started.pid}`);
    let status = await serviceStatus(pool, vm, 'echo');
    for (let i = 0; i < 60 && !(status.running && status.pid !== started.pid); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      status = await serviceStatus(pool, vm, 'echo');
    }
    expect(status.running).toBe(true);
    expect(status.pid).not.toBe(started.pid);
    expect(status.restarts).toBeGreaterThanOrEqual(1);
  });

  it('down collects the unit\'s journal and leaves nothing: no namespace, qemu, overlay, seed or key', async () => {
    const r = await runCli(['down', runId], work);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const journal = readFileSync(join(runDir, 'logs', 'public', 'journal.txt'), 'utf8');
    expect(journal).toMatch(/vps-test-echo\.service: Main process exited, code=killed, status=9\/KILL/);
    expect(journal).toMatch(/Started vps-test-echo\.service|Started vps-test service echo/);
    // the units' lines only, not the boot's (whose early lines carry the image's hostname, vps-test-vm)
    expect(journal).not.toMatch(/ kernel: /);
    expect(namespacesOf(runId)).toEqual([]);
    expect(processesMentioning(runDir)).toEqual([]);
    expect(processesMentioning(`vt${runId}-`)).toEqual([]);
    for (const vm of VMS) {
      const dir = join(runDir, 'lab', 'vm', vm);
      expect(readdirSync(dir), vm).toEqual(['console.log']);
    }
    expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
  });
});
