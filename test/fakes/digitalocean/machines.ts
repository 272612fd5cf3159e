// The fake's droplets as real machines: a network namespace per droplet on an internet bridge
// the fake owns (the lab's own building blocks: subnet claim, inet and machine steps), booted
// by its user_data inside private mount and PID namespaces, so it writes /etc/ssh and /root
// without touching the host and dies whole when its namespace's processes are killed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemExec, type Exec } from '../../../src/lab/exec.js';
import { destroyLab } from '../../../src/lab/lab.js';
import { labMac, MAC_KIND, machineAddress } from '../../../src/lab/addresses.js';
import { IFACE, machineNamespace } from '../../../src/lab/names.js';
import { killNamespaceProcesses, labNamespacesByRun } from '../../../src/lab/namespaces.js';
import { resolveCommand } from '../../../src/lab/preflight.js';
import { stepArgv } from '../../../src/lab/recipes/steps.js';
import { EVIDENCE_TABLE } from '../../../src/lab/recipes/evidence.js';
import { renderSshdConfig, waitForSsh } from '../../../src/lab/sshd.js';
import { claimSubnet } from '../../../src/lab/subnet-claim.js';
import { inetSteps, machineSteps, planTopology, type MachinePlan, type Topology } from '../../../src/lab/topology.js';
import { parseCloudConfig, renderBootScript } from './cloud-init.js';
import type { MachineBackend } from './server.js';
import type { FakeDroplet } from './state.js';

export interface LabMachinesOptions {
  /** Folder for boot scripts and sshd logs (outside every droplet). */
  root: string;
  exec?: Exec;
  claimDir?: string;
  sshTimeoutMs?: number;
}

export class LabMachines implements MachineBackend {
  private nextSlot = 0;
  private readonly slots = new Map<number, MachinePlan>();

  private constructor(
    readonly runId: string,
    private readonly t: Topology,
    private readonly options: LabMachinesOptions,
    private readonly exec: Exec,
    private readonly sshdPath: string,
  ) {}

  /** Claims an internet subnet and builds its bridge; the controller (this machine) joins it. */
  static async start(options: LabMachinesOptions): Promise<LabMachines> {
    const exec = options.exec ?? systemExec;
    const runId = `do${randomBytes(3).toString('hex')}`;
    const sshdPath = await resolveCommand('sshd');
    if (!sshdPath) throw new Error('fake DigitalOcean machines need sshd (openssh-server)');
    const claimDir = options.claimDir ? { dir: options.claimDir } : {};
    const subnetIndex = await claimSubnet(runId, { ...claimDir, runHasNamespaces: async (id) => (await labNamespacesByRun(exec)).has(id) });
    const t = planTopology([{ name: 'droplet', nat: 'none', role: 'peer' }], { runId, subnetIndex, labRoot: path.resolve(options.root) });
    const machines = new LabMachines(runId, t, options, exec, sshdPath);
    try {
      await mkdir(options.root, { recursive: true });
      // the lab makes its namespaces first (namespaceSteps); the fake adds droplets one by one
      await startDropletInternet(t, exec);
    } catch (err) {
      await machines.close();
      throw err;
    }
    return machines;
  }

  /** Namespaces of droplets alive on this machine. */
  async namespaces(): Promise<string[]> {
    return ((await labNamespacesByRun(this.exec)).get(this.runId) ?? []).filter((ns) => ns !== this.t.inetNamespace);
  }

  async boot(d: FakeDroplet, authorizedKeys: string[], options: { reachable: boolean }): Promise<string> {
    const slot = this.nextSlot++;
    const m = dropletMachine(this.runId, this.t, slot, `d${d.id}`);
    const ns = m.machineNamespace;
    const ip = m.privateIp;
    this.slots.set(d.id, m);
    await this.exec(['ip', 'netns', 'add', ns]);
    for (const step of machineSteps(this.t, m, { netem: false })) await this.exec(stepArgv(step), step.input !== undefined ? { input: step.input } : {});
    // A real droplet boots without counters: the lab's machine recipe adds its own, which would
    // count for a droplet whose user_data installed none.
    await this.exec(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'ip', EVIDENCE_TABLE]);

    const sshdConfig = renderSshdConfig(
      { listen: [ip], port: 22, configPath: '/etc/ssh/sshd_config', pidPath: '/run/sshd-vt.pid', logPath: '', hostKeyPath: '/etc/ssh/ssh_host_ed25519_key' },
      '/root/.ssh/authorized_keys',
    );
    const script = renderBootScript({ hostname: d.name, config: parseCloudConfig(d.userData), authorizedKeys, sshdConfig, sshdPath: this.sshdPath, reachable: options.reachable });
    const scriptPath = path.join(this.options.root, `d${d.id}.boot.sh`);
    const logPath = path.join(this.options.root, `d${d.id}.log`);
    await writeFile(scriptPath, script, { mode: 0o700 });
    const log = await open(logPath, 'w');
    // unshare: private mounts (the droplet's /etc/ssh, /root, /run/netns), its own hostname and PID space
    // whose init is the boot script turned sshd; --kill-child ties it to unshare's life.
    const child = spawn('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', scriptPath], {
      cwd: '/',
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    child.unref();
    await log.close();
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    if (!options.reachable) return ip;
    try {
      await waitForSsh(ip, 22, { timeoutMs: this.options.sshTimeoutMs ?? 20_000, what: `fake droplet ${d.name}`, logPath, aborted: () => exited !== undefined });
    } catch (err) {
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join(' | ');
      throw new Error(`${(err as Error).message}${exited !== undefined ? ` (boot exited ${exited}: ${tail})` : ''}`);
    }
    return ip;
  }

  async destroy(d: FakeDroplet): Promise<void> {
    const m = this.slots.get(d.id);
    if (!m) return;
    this.slots.delete(d.id);
    await killNamespaceProcesses([m.machineNamespace]);
    await this.exec(['ip', 'netns', 'del', m.machineNamespace], { allowFailure: true });
    await rm(path.join(this.options.root, `d${d.id}.boot.sh`), { force: true });
  }

  /** Removes every droplet, the bridge, the controller's veth and the subnet claim. */
  async close(): Promise<void> {
    await destroyLab(this.runId, { exec: this.exec, ...(this.options.claimDir ? { claimDir: this.options.claimDir } : {}) });
  }
}

/** The fake's internet router: the lab's, made first (namespaceSteps); droplets join it one by one. */
export async function startDropletInternet(t: Topology, exec: Exec): Promise<void> {
  await exec(['ip', 'netns', 'add', t.inetNamespace]);
  for (const step of inetSteps(t)) await exec(stepArgv(step), step.input !== undefined ? { input: step.input } : {});
}

/**
 * Droplet `node` in `slot` as a public lab machine: its own link to the internet router, with its
 * own fixed MACs (the router's permanent neighbour entries name them).
 */
export function dropletMachine(runId: string, t: Topology, slot: number, node: string): MachinePlan {
  const ip = machineAddress(t.subnet, slot);
  const ns = machineNamespace(runId, 'public', slot, node);
  const macs = { inetPort: labMac(MAC_KIND.inetPort, t.subnet.index, slot), uplink: labMac(MAC_KIND.uplink, t.subnet.index, slot) };
  return { ...(t.machines[0] as MachinePlan), node, index: slot, machineNamespace: ns, namespaces: [ns], bridgePort: IFACE.bridgePort(slot), publicIps: [ip], privateIp: ip, macs };
}
