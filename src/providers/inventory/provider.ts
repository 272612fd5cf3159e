// The inventory provider: hosts the user already runs. Provision = verify each host's pinned
// key while connecting, record its facts, make the run's workdir and, for `nat:` nodes, render
// the lab's natbox recipe there. A host never reached is unreachable: the fleet is degraded
// while at least half the nodes are healthy and the run fails below that (judged by the
// evaluation; provisioning fails only when no host answers at all). Destroy removes
// only what the run made. See docs/architecture.md, "Inventory hosts".
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { renderNatScript, renderNatTeardownScript } from '../../lab/recipes/nat-machine.js';
import type { Plan, PlannedNode } from '../../plan/types.js';
import { HostKeyMismatchError, SshPool } from '../../ssh/index.js';
import { stopService } from '../../deploy/service.js';
import { readFleet, writeFleet } from '../local.js';
import type { Fleet, FleetNode, Provider, RunContext, RunResources, TrialOps } from '../types.js';
import { remoteTrialOps } from '../remote-trials.js';
import { FACTS_SCRIPT, evidenceTableOf, keyscanHint, natHostNamespace, natLanInterface, parseFacts, renderEvidenceInstall, renderRemoveFilesScript, renderSetupScript, workdirOf, type HostFacts } from './scripts.js';

export interface InventoryProviderOptions {
  env?: NodeJS.ProcessEnv;
  connectTimeoutMs?: number;
}

const FACTS_FILE = 'facts.json';
const LAN = { routerIp: '10.201.0.1', hostIp: '10.201.0.2', prefixLen: 24 };

export class InventoryError extends Error {
  override name = 'InventoryError';
}

export interface Unreachable {
  name: string;
  reason: string;
}

/** degraded while at least half the nodes are healthy; fail below (docs/architecture.md). */
export function fleetHealth(total: number, unreachable: number): 'healthy' | 'degraded' | 'fail' {
  if (unreachable === 0) return 'healthy';
  return total - unreachable >= total / 2 ? 'degraded' : 'fail';
}

export class InventoryProvider implements Provider {
  /** Nodes of the last provision that were never reached (the run is degraded by them). */
  unreachable: Unreachable[] = [];
  constructor(private readonly options: InventoryProviderOptions = {}) {}

  /** The private key the controller logs in with: VPS_TEST_SSH_KEY, else ~/.ssh/id_ed25519. */
  clientKeyPath(): string {
    const env = this.options.env ?? process.env;
    const file = env.VPS_TEST_SSH_KEY || path.join(os.homedir(), '.ssh', 'id_ed25519');
    if (!existsSync(file)) throw new InventoryError(`inventory hosts are reached with your own SSH key: ${file} does not exist; set VPS_TEST_SSH_KEY to the private key the hosts authorize`);
    return file;
  }

  async check(plan: Plan): Promise<void> {
    const problems = plan.nodes.flatMap((n) => {
      if (!n.host) return [`node "${n.name}": no host`];
      if (!n.hostKey) return [`node "${n.name}": no pinned host key; host keys are always verified. Get it with \`${keyscanHint(n.host, n.port ?? 22)}\` and add it as host_key`];
      return [];
    });
    if (problems.length) throw new InventoryError(`inventory fleet refused:\n  - ${problems.join('\n  - ')}`);
    this.clientKeyPath();
  }

  async provision(plan: Plan, run: RunContext): Promise<Fleet> {
    await this.check(plan);
    const clientKeyPath = this.clientKeyPath();
    const draft: Fleet = { runId: run.runId, provider: 'inventory', nodes: plan.nodes.map((n) => draftNode(run.runId, n)), clientKeyPath };
    const pool = SshPool.forFleet(draft, { connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000 });
    const facts = new Map<string, HostFacts>();
    this.unreachable = [];
    try {
      const results = await Promise.allSettled(draft.nodes.map(async (n) => facts.set(n.name, parseFacts((await pool.exec(n, FACTS_SCRIPT)).stdout))));
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        const node = draft.nodes[i] as FleetNode;
        // a wrong host key is an attack or a mistake, never "unreachable"
        if (r.reason instanceof HostKeyMismatchError) throw new InventoryError(`${r.reason.message}; if the host was reinstalled, update its host_key (\`${keyscanHint(node.ssh.host, node.ssh.port)}\`)`);
        this.unreachable.push({ name: node.name, reason: (r.reason as Error).message });
      });
      const health = fleetHealth(draft.nodes.length, this.unreachable.length);
      const down = this.unreachable.map((u) => `${u.name} (${u.reason})`).join('; ');
      // with none reached there is nothing to run on; otherwise the evaluation judges the share
      // (degraded, or failed below half), every pair of an unreachable host failed with the reason
      if (this.unreachable.length === draft.nodes.length) throw new InventoryError(`all ${draft.nodes.length} inventory hosts unreachable: ${down}`);
      if (health === 'fail') run.log(`inventory: ${this.unreachable.length} of ${draft.nodes.length} inventory hosts unreachable, fewer than half are healthy (the run fails): ${down}`);
      if (health === 'degraded') run.log(`inventory: degraded: ${this.unreachable.length} of ${draft.nodes.length} hosts unreachable: ${down}`);
      const reached = draft.nodes.filter((n) => facts.has(n.name));
      const mismatch = reached.filter((n) => facts.get(n.name)?.arch !== n.arch).map((n) => `node "${n.name}" is ${facts.get(n.name)?.arch}, the plan builds ${n.arch} (set arch: ${facts.get(n.name)?.arch})`);
      if (mismatch.length) throw new InventoryError(`inventory hosts do not match the planned architecture:\n  - ${mismatch.join('\n  - ')}`);
      const noNft = reached.filter((n) => n.nat !== 'none' && !facts.get(n.name)?.nft).map((n) => n.name);
      if (noNft.length) throw new InventoryError(`nat: needs nftables on the host; missing on ${noNft.join(', ')} (apt-get install nftables)`);
      // trials are independent only if the NAT forgets its connections between them
      const noConntrack = reached.filter((n) => n.nat !== 'none' && !facts.get(n.name)?.conntrack).map((n) => n.name);
      if (noConntrack.length) throw new InventoryError(`nat: needs conntrack on the host (the NAT state is flushed between trials); missing on ${noConntrack.join(', ')} (apt-get install conntrack)`);
      const measured = (await Promise.all(reached.map((n) => this.setUp(pool, run.runId, n, plan.nodes.find((p) => p.name === n.name) as PlannedNode, facts.get(n.name) as HostFacts)))).flatMap((m, i) => (m ? [(reached[i] as FleetNode).name] : []));
      const unmeasured = reached.filter((n) => !measured.includes(n.name)).map((n) => n.name);
      if (unmeasured.length) run.log(`inventory: path evidence not measured on ${unmeasured.join(', ')} (the counters need nft and root there)`);
      const fleet: Fleet = { ...draft, nodes: reached, ...(this.unreachable.length ? { unreachable: [...this.unreachable] } : {}) };
      await mkdir(path.join(run.runDir, 'inventory'), { recursive: true });
      await writeFile(path.join(run.runDir, 'inventory', FACTS_FILE), `${JSON.stringify({ facts: Object.fromEntries(facts), unreachable: this.unreachable, evidence: measured }, null, 2)}\n`);
      await writeFleet(run.runDir, fleet);
      for (const n of reached) {
        const f = facts.get(n.name) as HostFacts;
        run.log(`inventory: ${n.name}: ${f.arch}, kernel ${f.kernel}, ${f.memAvailableMiB} MiB free memory, ${f.diskFreeMiB} MiB free disk${n.nat !== 'none' ? `, ${n.nat} natbox on ${f.wan}` : ''}`);
      }
      return fleet;
    } catch (err) {
      await this.tearDown(pool, run.runId, draft.nodes.filter((n) => facts.has(n.name)), facts).catch(() => undefined);
      throw err;
    } finally {
      await pool.close();
    }
  }

  /** The workdir, the natbox for `nat:`, the evidence counters where nft runs as root; true: counters installed. */
  private async setUp(pool: SshPool, runId: string, n: FleetNode, planned: PlannedNode, f: HostFacts): Promise<boolean> {
    await pool.runScript(n, renderSetupScript(runId, n.name));
    if (n.nat !== 'none') {
      if (!f.wan) throw new InventoryError(`node "${n.name}": no default route on the host, so no WAN interface for its natbox`);
      const script = renderNatScript({
        nat: n.nat,
        hostNs: natHostNamespace(runId, n.name),
        wan: f.wan,
        lan: natLanInterface(runId, n.name),
        lanRouterIp: LAN.routerIp,
        lanHostIp: LAN.hostIp,
        lanPrefixLen: LAN.prefixLen,
        sshFrom: [],
        ...(planned.impair ? { impair: planned.impair } : {}),
        netem: true,
      });
      const r = await pool.exec(n, 'sh -s', { stdin: script });
      if (r.code !== 0) throw new InventoryError(`node "${n.name}": natbox recipe failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (!f.nft || !f.root || !f.wan) return false;
    const ev = await pool.exec(n, 'nft -f -', { stdin: renderEvidenceInstall(runId, f.wan, n.nat !== 'none') });
    if (ev.code !== 0) throw new InventoryError(`node "${n.name}": installing the path-evidence counters failed: ${ev.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return true;
  }

  /** Stops the run's services, removes its natbox and files; nothing else on the host. */
  private async tearDown(pool: SshPool, runId: string, nodes: FleetNode[], facts: Map<string, HostFacts>): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      nodes.map(async (n) => {
        try {
          const specs = await pool.exec(n, `ls ${n.workdir}/run 2>/dev/null | sed -n 's/\\.spec\\.json$//p'`);
          for (const name of specs.stdout.split('\n').filter(Boolean)) await stopService(pool, n, name).catch(() => undefined);
          if (n.nat !== 'none') {
            await pool.exec(n, 'sh -s', { stdin: renderNatTeardownScript({ hostNs: natHostNamespace(runId, n.name), lan: natLanInterface(runId, n.name) }) });
          }
          await pool.exec(n, 'sh -s', { stdin: renderRemoveFilesScript(runId, n.name, n.nat !== 'none' ? facts.get(n.name)?.ipForward : undefined) });
        } catch (err) {
          failures.push(`${n.name}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length) throw new InventoryError(`inventory teardown incomplete:\n  - ${failures.join('\n  - ')}`);
  }

  async destroy(run: RunContext): Promise<void> {
    let fleet: Fleet;
    try {
      fleet = await readFleet(run.runDir);
    } catch {
      return; // never provisioned: nothing of ours on any host
    }
    // the recorded key may be on another machine (an earlier CI job): then the one this process is given
    if (!existsSync(fleet.clientKeyPath)) fleet = { ...fleet, clientKeyPath: this.clientKeyPath() };
    const pool = SshPool.forFleet(fleet, { connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000 });
    try {
      const recorded = await readFile(path.join(run.runDir, 'inventory', FACTS_FILE), 'utf8').then((t) => (JSON.parse(t) as { facts: Record<string, HostFacts> }).facts, () => ({}));
      await this.tearDown(pool, run.runId, fleet.nodes, new Map(Object.entries(recorded)));
      run.log(`inventory: run ${run.runId} removed from ${fleet.nodes.length} host(s)`);
    } finally {
      await pool.close();
    }
  }

  /** Counters and NAT flushes over SSH on the hosts that got them at provisioning (facts.json). */
  trials(fleet: Fleet, pool: SshPool, run: RunContext): TrialOps {
    let ops: TrialOps | undefined;
    const load = async () => {
      if (ops) return ops;
      const recorded = await readFile(path.join(run.runDir, 'inventory', FACTS_FILE), 'utf8').then((t) => (JSON.parse(t) as { evidence?: string[] }).evidence ?? [], () => []);
      const measured = new Set(recorded);
      ops = remoteTrialOps(pool, fleet.nodes.map((node) => ({ node, ...(measured.has(node.name) ? { evidenceTable: evidenceTableOf(run.runId) } : {}), ...(node.nat !== 'none' ? { natHostIp: LAN.hostIp } : {}) })));
      return ops;
    };
    return { flushNat: async () => (await load()).flushNat(), readEvidence: async () => (await load()).readEvidence() };
  }

  async list(): Promise<RunResources[]> {
    return []; // hosts are the user's; runs on them are found through their run folders
  }
}

function draftNode(runId: string, n: PlannedNode): FleetNode {
  const host = n.host as string;
  const natted = n.nat !== 'none';
  return {
    name: n.name,
    role: n.role,
    nat: n.nat,
    arch: n.arch,
    publicIp: host,
    privateIp: natted ? LAN.hostIp : host,
    ssh: { host, port: n.port ?? 22, user: n.user ?? 'root', hostKey: n.hostKey as string },
    workdir: workdirOf(runId, n.name),
    execPrefix: natted ? ['ip', 'netns', 'exec', natHostNamespace(runId, n.name)] : [],
    resources: [`host:${host}:${n.port ?? 22}`],
    // services run as supervised processes in the workdir, so nothing lands in /etc/systemd
    systemd: false,
  };
}
