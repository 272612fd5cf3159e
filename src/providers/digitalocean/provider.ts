// The DigitalOcean provider: one ephemeral SSH key and one batch request per 10 droplets, all
// tagged with the run and its expiry; host keys generated here and installed by cloud-init, so
// the first SSH connection is verified; waiting by listing the run's tag (one request per poll);
// any failure destroys what was made. Destroy = delete by run tag, then verify none remain.
// See docs/architecture.md, "DigitalOcean".
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { systemExec, type Exec } from '../../lab/exec.js';
import { generateEd25519, writeEd25519 } from '../../lab/keys.js';
import { renderNatScript } from '../../lab/recipes/nat-machine.js';
import { EVIDENCE_TABLE, renderEvidenceRuleset } from '../../lab/recipes/evidence.js';
import { waitForSsh } from '../../lab/sshd.js';
import type { Plan, PlannedNode } from '../../plan/types.js';
import { SshPool } from '../../ssh/index.js';
import { writeFleet } from '../local.js';
import type { Fleet, FleetNode, Provider, RunContext, RunResources, TrialOps } from '../types.js';
import { DigitalOceanApi, type CreateDropletsRequest, type Droplet } from './api.js';
import { parseCloudInitStatus } from '../../vm/ssh-check.js';
import { DROPLET_ROOT, READY_FILE, renderUserData, type DropletSetup } from './cloud-init.js';
import { apiUrlFromEnv, createDoClient, tokenFromEnv, type ClientOptions } from './client.js';
import { DigitalOceanError } from './errors.js';
import { batches, costEstimate, dropletSpecs, fleetProblems } from './fleet-plan.js';
import { dropletName, runTag, sshKeyName, tagsFor } from './naming.js';
import { destroyRunResources, listRunResources } from './resources.js';
import { remoteTrialOps } from '../remote-trials.js';

/** Droplets usually answer within a minute or two; a slow image or a long user_data may need more. */
const DEFAULT_BOOT_TIMEOUT_MS = 300_000;

export interface DigitalOceanProviderOptions {
  env?: NodeJS.ProcessEnv;
  client?: Partial<ClientOptions>;
  exec?: Exec;
  /** First poll interval (grows 1.5x to 10 s). Default 2 s. */
  pollMs?: number;
  /** How long droplets may take to become active and answer SSH. Default: the plan's (fleet.digitalocean.boot_timeout, 5 min). */
  bootTimeoutMs?: number;
  now?: () => number;
  /** How to confirm the droplets answer SSH and finished cloud-init (default: banner + ready file over SSH). */
  reachability?: (fleet: Fleet, run: RunContext) => Promise<void>;
}

/** The node's own processes run here when it has a NAT: a namespace behind the droplet. */
export const NAT_HOST_NS = 'vtnode';
const LAN = { routerIp: '10.200.0.1', hostIp: '10.200.0.2', prefixLen: 24 };

export class DigitalOceanProvider implements Provider {
  private apiCache?: DigitalOceanApi;
  private checked = false;
  constructor(private readonly options: DigitalOceanProviderOptions = {}) {}

  /** Made on first use: a config that never reaches provisioning needs no token. */
  api(log?: (line: string) => void): DigitalOceanApi {
    if (!this.apiCache) {
      const env = this.options.env ?? process.env;
      this.apiCache = new DigitalOceanApi(createDoClient({ token: tokenFromEnv(env), baseUrl: apiUrlFromEnv(env), ...(log ? { log } : {}), ...this.options.client }));
    }
    return this.apiCache;
  }

  private get exec(): Exec {
    return this.options.exec ?? systemExec;
  }

  /** Token valid, every node's region and size offered; logs the cost estimate. */
  async check(plan: Plan, run: RunContext): Promise<void> {
    const api = this.api(run.log);
    const account = await api.account();
    const [sizes, regions, existing] = await Promise.all([api.sizes(), api.regions(), api.droplets()]);
    const specs = dropletSpecs(plan);
    const problems = fleetProblems(specs, sizes, regions);
    const limit = account?.droplet_limit ?? Number.POSITIVE_INFINITY;
    const free = limit - existing.length;
    if (specs.length > free) problems.push(`the fleet needs ${specs.length} droplets; the account's droplet limit is ${limit} and ${existing.length} exist (${Math.max(0, free)} free): ask DigitalOcean for a higher limit or remove droplets`);
    if (problems.length) throw new DigitalOceanError(`the fleet cannot be created on DigitalOcean:\n  - ${problems.join('\n  - ')}`, 422, 'check');
    const ttlMs = plan.digitalocean?.ttlMs ?? 7_200_000;
    const perNodeMs = plan.nodes.length ? ((plan.estimate?.nodeMinutes ?? 0) / plan.nodes.length) * 60_000 : 0;
    if (perNodeMs > ttlMs) {
      throw new DigitalOceanError(`fleet.digitalocean.ttl (${Math.round(ttlMs / 60_000)} min) is shorter than this run's estimate (${Math.round(perNodeMs / 60_000)} min per droplet): the janitor would delete droplets mid-run; raise the ttl`, 0, 'check');
    }
    this.checked = true;
    run.log(`digitalocean: cost estimate: ${costEstimate(specs, sizes, (plan.digitalocean?.ttlMs ?? 7_200_000) / 3_600_000).line}`);
  }

  async provision(plan: Plan, run: RunContext): Promise<Fleet> {
    if (!this.checked) await this.check(plan, run); // `up` provisions without the plan stage
    try {
      return await this.create(plan, run);
    } catch (err) {
      run.log(`digitalocean: provisioning failed (${(err as Error).message.split('\n')[0]}); destroying what was created`);
      await this.destroy({ ...run, signal: undefined }).catch((e: unknown) => run.log(`digitalocean: cleanup failed too: ${(e as Error).message}`));
      throw err;
    }
  }

  private async create(plan: Plan, run: RunContext): Promise<Fleet> {
    const api = this.api(run.log);
    const now = this.options.now ?? Date.now;
    const expiresAt = now() + (plan.digitalocean?.ttlMs ?? 7_200_000);
    const keysDir = path.join(run.runDir, 'digitalocean', 'keys');
    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    const clientKeyPath = path.join(keysDir, 'client');
    // the run's key when the caller chose it (CI: derived per run, docs/architecture.md "Keys across jobs")
    const clientPub = run.clientKey
      ? await writeEd25519(clientKeyPath, run.clientKey, `vps-test-${run.runId}`)
      : await generateEd25519(this.exec, clientKeyPath, `vps-test-${run.runId}`);
    const key = await api.createSshKey(sshKeyName(run.runId, expiresAt), clientPub);
    const tags = tagsFor(run.runId, expiresAt);
    const tag = runTag(run.runId);
    const hostKeys = new Map<string, string>();
    for (const [i, batch] of batches(dropletSpecs(plan)).entries()) {
      this.abortCheck(run);
      // One user_data per request: the batch shares a host key (generated here, pinned below).
      const file = path.join(keysDir, `batch${i}.host`);
      const publicKey = await generateEd25519(this.exec, file, `vps-test-${run.runId}-batch${i}`);
      const privateKey = await readFile(file, 'utf8');
      await rm(file, { force: true }); // the droplets hold the private half; we need only the public one
      await rm(`${file}.pub`, { force: true });
      for (const n of batch.nodes) hostKeys.set(n.name, publicKey);
      const userData = renderUserData({ hostKey: { privateKey, publicKey }, droplets: batch.nodes.map((n) => dropletSetup(run.runId, n)) });
      const names = batch.nodes.map((n) => dropletName(run.runId, n.name));
      await this.createBatch(api, tag, { names, region: batch.region, size: batch.size, image: plan.digitalocean?.image ?? 'ubuntu-24-04-x64', sshKeys: [key.id as number], tags, userData }, run);
      run.log(`digitalocean: requested ${names.length} droplet(s) in ${batch.region} (${batch.size})`);
    }
    const bootMs = this.options.bootTimeoutMs ?? plan.digitalocean?.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
    const droplets = await this.waitActive(api, run, plan.nodes, bootMs);
    const fleet: Fleet = { runId: run.runId, provider: 'digitalocean', nodes: plan.nodes.map((n) => fleetNode(n, droplets.get(n.name) as Droplet, hostKeys)), clientKeyPath };
    await (this.options.reachability ?? ((f, r) => this.waitReachable(f, r, bootMs)))(fleet, run);
    await writeFleet(run.runDir, fleet);
    return fleet;
  }

  private abortCheck(run: RunContext): void {
    if (run.signal?.aborted) throw new Error('interrupted: stopped provisioning');
  }

  /**
   * One create request. A 5xx or lost answer may still have created droplets: list the run's
   * tag, and ask again only for the names that do not exist (never twice for one name).
   */
  private async createBatch(api: DigitalOceanApi, tag: string, req: CreateDropletsRequest, run: RunContext): Promise<void> {
    let names = req.names;
    for (let attempt = 1; ; attempt++) {
      try {
        await api.createDroplets({ ...req, names });
        return;
      } catch (err) {
        const transient = err instanceof DigitalOceanError && (err.status === 0 || err.status >= 500);
        if (!transient || attempt >= 4) throw err;
        const existing = new Set((await api.dropletsByTag(tag)).map((d) => d.name));
        names = names.filter((n) => !existing.has(n));
        run.log(`digitalocean: create answered ${(err as DigitalOceanError).status || 'nothing'}; ${names.length} of ${req.names.length} droplet(s) still to request`);
        if (names.length === 0) return;
        await sleep((this.options.pollMs ?? 2000) * 2 ** (attempt - 1), run.signal);
      }
    }
  }

  /** Polls the run's tag (one request per poll, whatever the fleet size) until all are active. */
  private async waitActive(api: DigitalOceanApi, run: RunContext, nodes: PlannedNode[], bootMs: number): Promise<Map<string, Droplet>> {
    const want = new Map(nodes.map((n) => [dropletName(run.runId, n.name), n.name]));
    const deadline = Date.now() + bootMs;
    let interval = this.options.pollMs ?? 2000;
    for (;;) {
      this.abortCheck(run);
      const listed = await api.dropletsByTag(runTag(run.runId));
      const byNode = new Map<string, Droplet>();
      for (const d of listed) {
        const node = want.get(d.name);
        if (node && !byNode.has(node)) byNode.set(node, d);
      }
      const missing = [...want.values()].filter((n) => !byNode.has(n));
      if (missing.length) throw new Error(`droplets for ${missing.join(', ')} are not in the account (created, then gone?)`);
      const pending = [...byNode.entries()].filter(([, d]) => d.status !== 'active' || !publicIpv4(d)).map(([n]) => n);
      if (pending.length === 0) return byNode;
      if (Date.now() > deadline) throw new Error(`droplets not active after ${Math.round(bootMs / 1000)} s: ${pending.join(', ')} (fleet.digitalocean.boot_timeout)`);
      await sleep(interval, run.signal);
      interval = Math.min(10_000, interval * 1.5);
    }
  }

  /** SSH answers on every droplet and cloud-init finished (the ready file exists). */
  private async waitReachable(fleet: Fleet, run: RunContext, timeoutMs: number): Promise<void> {
    const results = await Promise.allSettled(
      fleet.nodes.map((n) => waitForSsh(n.ssh.host, n.ssh.port, { timeoutMs, what: `droplet of node "${n.name}"`, aborted: () => Boolean(run.signal?.aborted) })),
    );
    const unreachable = fleet.nodes.filter((_, i) => results[i]?.status === 'rejected').map((n) => `${n.name} (${n.publicIp})`);
    if (unreachable.length) throw new Error(`droplets never answered SSH within ${Math.round(timeoutMs / 1000)} s: ${unreachable.join(', ')}`);
    const pool = SshPool.forFleet(fleet);
    try {
      const deadline = Date.now() + timeoutMs;
      // not ready yet: cloud-init's own verdict, so an error in user_data ends the wait with its message
      const probe = `test -e ${READY_FILE} && echo vps-test-ready || { command -v cloud-init >/dev/null 2>&1 && cloud-init status --long 2>/dev/null; true; }`;
      const notReady = async () =>
        (
          await Promise.all(
            fleet.nodes.map(async (n) => {
              const r = await pool.exec(n, probe);
              if (r.stdout.includes('vps-test-ready')) return undefined;
              const ci = parseCloudInitStatus(r.stdout);
              if (ci.status === 'error') throw new Error(`droplet of node "${n.name}" (${n.publicIp}): cloud-init failed: ${ci.errors.join('; ') || 'no message'}`);
              return n.name;
            }),
          )
        ).filter(Boolean);
      for (let left = await notReady(); left.length; left = await notReady()) {
        this.abortCheck(run);
        if (Date.now() > deadline) throw new Error(`cloud-init did not finish on: ${left.join(', ')} (see /var/log/cloud-init-output.log there)`);
        await sleep(2000);
      }
    } finally {
      await pool.close();
    }
    run.log(`digitalocean: ${fleet.nodes.length} droplet(s) up, host keys verified`);
  }

  /** Deletes the run's droplets by tag and its key, then checks that nothing of the run is left. */
  async destroy(run: RunContext): Promise<void> {
    await destroyRunResources(this.api(run.log), run.runId, { log: run.log, pollMs: this.options.pollMs ?? 2000, sleep: (ms) => sleep(ms) });
    // a run without a folder here (down RUN from another machine) has no key files here either
    if (run.runDir) await rm(path.join(run.runDir, 'digitalocean', 'keys'), { recursive: true, force: true });
  }

  /** The account's vps-test droplets (with age, expiry and price) and keys, by run. */
  async list(filter?: { runId?: string }): Promise<RunResources[]> {
    return listRunResources(this.api(), filter);
  }

  /** Evidence counters and NAT flushes on the droplets, over SSH (installed by cloud-init). */
  trials(fleet: Fleet, pool: SshPool): TrialOps {
    return remoteTrialOps(pool, fleet.nodes.map((node) => ({ node, evidenceTable: EVIDENCE_TABLE, ...(node.nat !== 'none' ? { natHostIp: node.privateIp } : {}) })));
  }
}

/** A wait that ends early on abort (the next abortCheck then stops the work). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function publicIpv4(d: Droplet): string | undefined {
  return d.networks.v4?.find((n) => n.type === 'public')?.ip_address;
}

export function workdirOf(node: string): string {
  return `${DROPLET_ROOT}/${node}`;
}

function dropletSetup(runId: string, n: PlannedNode): DropletSetup {
  return {
    hostname: dropletName(runId, n.name),
    workdir: workdirOf(n.name),
    ...(n.nat !== 'none'
      ? {
          natScript: renderNatScript({
            nat: n.nat,
            hostNs: NAT_HOST_NS,
            wan: 'eth0',
            lanRouterIp: LAN.routerIp,
            lanHostIp: LAN.hostIp,
            lanPrefixLen: LAN.prefixLen,
            sshFrom: [], // the controller's address is not known from a CI runner
            ...(n.impair ? { impair: n.impair } : {}),
            netem: true, // DigitalOcean's kernels have sch_netem
            title: `vps-test node ${n.name}: ${n.nat} NAT`,
          }),
        }
      : {}),
    // after the NAT's filter (forward) on a NAT droplet, at input/output on a public one
    evidenceRuleset: `table ip ${EVIDENCE_TABLE}\ndelete table ip ${EVIDENCE_TABLE}\n${renderEvidenceRuleset({ publicIface: 'eth0', routed: n.nat !== 'none' })}`,
  };
}

function fleetNode(n: PlannedNode, d: Droplet, hostKeys: Map<string, string>): FleetNode {
  const ip = publicIpv4(d) as string;
  const natted = n.nat !== 'none';
  return {
    name: n.name,
    role: n.role,
    nat: n.nat,
    arch: n.arch,
    publicIp: ip,
    privateIp: natted ? LAN.hostIp : ip,
    ssh: { host: ip, port: 22, user: 'root', hostKey: hostKeys.get(n.name) as string },
    workdir: workdirOf(n.name),
    execPrefix: natted ? ['ip', 'netns', 'exec', NAT_HOST_NS] : [],
    resources: [`droplet:${d.id}`],
    systemd: false,
  };
}
