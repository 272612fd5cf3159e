// The local provider: the fleet is a lab of network namespaces on this machine (docs/architecture.md, "Providers").
// provision = preflight + createLab; destroy = destroyLab by run id; list = live labs.
// The Fleet is persisted to <runDir>/fleet.json (the client key by path only) so later
// commands (nodes, diagnose, down) find it after this process is gone.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Exec } from '../lab/exec.js';
import { archOf } from '../lab/fleet.js';
import { createLab, destroyLab, listLabs } from '../lab/lab.js';
import { assertPreflight, preflight } from '../lab/preflight.js';
import type { LabNodeSpec } from '../lab/topology.js';
import type { Plan } from '../plan/types.js';
import { prepareVms, removeVmFiles, VmMachines, type VmMachinesOptions } from '../vm/index.js';
import { systemExec } from '../lab/exec.js';
import type { Fleet, Provider, RunContext, RunResources } from './types.js';
import { readFleet, writeFleet } from './fleet-file.js';

export interface LocalProviderOptions {
  exec?: Exec;
  /** Check root and commands (installing packages when possible) before provisioning. Default true. */
  preflight?: boolean;
  /** Install SIGINT/SIGTERM handlers while the lab comes up. Default true. */
  handleSignals?: boolean;
  claimDir?: string;
  /** VM machines (`machine: vm` nodes): memory, parallel boots, boot timeout, extra user-data. */
  vm?: Omit<VmMachinesOptions, 'image' | 'accel'>;
}

export { FLEET_FILE, readFleet, writeFleet } from './fleet-file.js';

export function labNodesOf(plan: Plan): LabNodeSpec[] {
  return plan.nodes.map((n) => ({ name: n.name, nat: n.nat, role: n.role, ...(n.impair ? { impair: n.impair } : {}), ...(n.region ? { region: n.region } : {}), ...(n.hairpin !== undefined ? { hairpin: n.hairpin } : {}), ...(n.behind ? { behind: n.behind } : {}), ...(n.machine === 'vm' ? { machine: 'vm' as const } : {}) }));
}

export class LocalProvider implements Provider {
  constructor(private readonly options: LocalProviderOptions = {}) {}

  private checked = false;
  private vmReady: Promise<Pick<VmMachinesOptions, 'image' | 'accel'>> | undefined;
  /** The last provision's VM launcher (its boot times and memory), when the plan had VMs. */
  vms: VmMachines | undefined;

  /** Root (or the capabilities) and the lab's tools, installing missing packages when it can. */
  async check(plan: Plan, run: RunContext): Promise<void> {
    // VM machines: qemu, the base image (built once) and the accelerator, before anything exists
    if (plan.nodes.some((n) => n.machine === 'vm')) {
      this.vmReady ??= prepareVms(this.options.exec ?? systemExec, run.log, plan.vmAccel ? { accel: plan.vmAccel } : {});
      await this.vmReady.catch((err: unknown) => {
        this.vmReady = undefined;
        throw err;
      });
    }
    if (this.checked || this.options.preflight === false) return;
    assertPreflight(await preflight({ ...(this.options.exec ? { exec: this.options.exec } : {}), onProgress: run.log }));
    this.checked = true;
  }

  async provision(plan: Plan, run: RunContext): Promise<Fleet> {
    await this.check(plan, run);
    const hostArch = archOf(process.arch);
    const foreign = plan.nodes.filter((n) => n.arch !== hostArch).map((n) => n.name);
    if (foreign.length > 0) {
      run.log(`lab nodes run on this ${hostArch} machine; planned arch ignored for: ${foreign.join(', ')}`);
    }
    const vm = this.vmReady ? await this.vmReady : undefined;
    this.vms = vm ? new VmMachines({ ...this.options.vm, ...vm }) : undefined;
    const lab = await createLab(
      { runId: run.runId, nodes: labNodesOf(plan), labRoot: path.resolve(run.runDir, 'lab'), ...(plan.internet ? { internet: plan.internet } : {}) },
      {
        onProgress: run.log,
        ...(this.options.exec ? { exec: this.options.exec } : {}),
        ...(run.signal ? { signal: run.signal } : {}),
        ...(run.clientKey ? { clientKey: run.clientKey } : {}),
        ...(this.options.handleSignals !== undefined ? { handleSignals: this.options.handleSignals } : {}),
        ...(this.options.claimDir ? { claimDir: this.options.claimDir } : {}),
        ...(this.vms ? { machines: this.vms } : {}),
      },
    );
    await writeFleet(run.runDir, lab.fleet);
    return lab.fleet;
  }

  async destroy(run: RunContext): Promise<void> {
    await destroyLab(run.runId, {
      onProgress: run.log,
      ...(this.options.exec ? { exec: this.options.exec } : {}),
      ...(this.options.claimDir ? { claimDir: this.options.claimDir } : {}),
    });
    // The run's keys die with its fleet: nothing may log in with them again, and a run folder
    // (kept as evidence, uploaded as an artifact) must never carry a private key.
    if (run.runDir) await rm(path.join(path.resolve(run.runDir), 'lab', 'keys'), { recursive: true, force: true });
    // a run continued from another folder (a CI job's workspace) finds its lab's keys by fleet.json
    const recorded = run.runDir ? await readFleet(run.runDir).then((f) => f.clientKeyPath, () => undefined) : undefined;
    if (recorded && /\/lab\/keys\/client$/.test(recorded)) await rm(path.dirname(recorded), { recursive: true, force: true });
    // VM overlays and seeds (the seeds hold host private keys); the consoles stay as evidence
    if (run.runDir) await removeVmFiles(path.join(path.resolve(run.runDir), 'lab'));
  }

  async list(filter?: { runId?: string }): Promise<RunResources[]> {
    const labs = await listLabs({
      ...(this.options.exec ? { exec: this.options.exec } : {}),
      ...(this.options.claimDir ? { claimDir: this.options.claimDir } : {}),
    });
    return labs
      .filter((l) => !filter?.runId || l.runId === filter.runId)
      .map((l) => ({ runId: l.runId, provider: 'local', resources: l.namespaces }));
  }
}
