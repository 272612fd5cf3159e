// The fake's droplets as VMs, when asked (docs/architecture.md, "VM machines"): the same
// internet the namespace droplets use (machines.ts's layout: a subnet claim, the inet router,
// one public namespace per droplet), but each droplet is a qemu VM behind a tap in its
// namespace, and the create request's user_data goes to real cloud-init through NoCloud
// (after our part: the account's SSH keys for root and the network), so our cloud-config runs
// in cloud-init itself, not in an imitation. Namespace droplets (machines.ts) stay the default.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { systemExec, type Exec } from '../../../src/lab/exec.js';
import { destroyLab } from '../../../src/lab/lab.js';
import { killNamespaceProcesses, labNamespacesByRun } from '../../../src/lab/namespaces.js';
import { stepArgv } from '../../../src/lab/recipes/steps.js';
import { waitForSsh } from '../../../src/lab/sshd.js';
import { claimSubnet } from '../../../src/lab/subnet-claim.js';
import { machineSteps, planTopology, type MachinePlan, type Topology } from '../../../src/lab/topology.js';
import { attachmentOf, attachSteps, launchVm, removeVmFiles, vmDir, type Accel, type VmImage } from '../../../src/vm/index.js';
import { dropletMachine, startDropletInternet } from './machines.js';
import type { MachineBackend } from './server.js';
import type { FakeDroplet } from './state.js';

export interface VmDropletOptions {
  /** Folder of the droplets' VM files (outside every droplet). */
  root: string;
  image: VmImage;
  accel: Accel;
  exec?: Exec;
  claimDir?: string;
  /** Until the droplet's sshd answers. Default 20 min (software emulation on a busy host). */
  sshTimeoutMs?: number;
  /** Fault injection: what cloud-init gets instead of the request's user_data (undefined: unchanged). */
  userDataFault?: (droplet: FakeDroplet) => string | undefined;
}

export class VmDropletMachines implements MachineBackend {
  private nextSlot = 0;
  private readonly slots = new Map<number, MachinePlan>();

  private constructor(
    readonly runId: string,
    private readonly t: Topology,
    private readonly options: VmDropletOptions,
    private readonly exec: Exec,
  ) {}

  static async start(options: VmDropletOptions): Promise<VmDropletMachines> {
    const exec = options.exec ?? systemExec;
    const runId = `dv${randomBytes(3).toString('hex')}`;
    const claimDir = options.claimDir ? { dir: options.claimDir } : {};
    const subnetIndex = await claimSubnet(runId, { ...claimDir, runHasNamespaces: async (id) => (await labNamespacesByRun(exec)).has(id) });
    const t = planTopology([{ name: 'droplet', nat: 'none', role: 'peer', machine: 'vm' }], { runId, subnetIndex, labRoot: path.resolve(options.root) });
    const machines = new VmDropletMachines(runId, t, options, exec);
    try {
      await startDropletInternet(t, exec);
    } catch (err) {
      await machines.close();
      throw err;
    }
    return machines;
  }

  async namespaces(): Promise<string[]> {
    return ((await labNamespacesByRun(this.exec)).get(this.runId) ?? []).filter((ns) => ns !== this.t.inetNamespace);
  }

  async boot(d: FakeDroplet, authorizedKeys: string[], options: { reachable: boolean }): Promise<string> {
    const slot = this.nextSlot++;
    const node = `d${d.id}`;
    const m = dropletMachine(this.runId, this.t, slot, node);
    const ns = m.machineNamespace;
    const ip = m.privateIp;
    this.slots.set(d.id, m);
    await this.exec(['ip', 'netns', 'add', ns]);
    const a = attachmentOf(this.t, m);
    for (const step of [...machineSteps(this.t, m, { netem: false }), ...attachSteps(a)]) await this.exec(stepArgv(step), step.input !== undefined ? { input: step.input } : {});
    if (!options.reachable) return ip; // a droplet that never answers: no machine at all
    await launchVm({
      exec: this.exec,
      image: this.options.image,
      accel: this.options.accel,
      dir: vmDir(this.options.root, node),
      name: `vt${this.runId}-${node}`,
      ns,
      mac: a.guestMac,
      seed: {
        instanceId: `droplet-${d.id}`,
        // DigitalOcean sets the hostname to the droplet's name: the user_data picks its part by it
        hostname: d.name,
        clientKeys: authorizedKeys,
        network: { mac: a.guestMac, address: `${ip}/${this.t.subnet.prefixLen}`, gateway: this.t.subnet.gatewayIp },
        ...((this.options.userDataFault?.(d) ?? d.userData) !== undefined ? { userData: (this.options.userDataFault?.(d) ?? d.userData) as string } : {}),
      },
    });
    await waitForSsh(ip, 22, { timeoutMs: this.options.sshTimeoutMs ?? 1_200_000, what: `fake VM droplet ${d.name}` });
    return ip;
  }

  async destroy(d: FakeDroplet): Promise<void> {
    const m = this.slots.get(d.id);
    if (!m) return;
    this.slots.delete(d.id);
    await killNamespaceProcesses([m.machineNamespace]);
    await this.exec(['ip', 'netns', 'del', m.machineNamespace], { allowFailure: true });
    await rm(path.join(vmDir(this.options.root, m.node)), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await destroyLab(this.runId, { exec: this.exec, ...(this.options.claimDir ? { claimDir: this.options.claimDir } : {}) });
    await removeVmFiles(this.options.root);
  }
}
