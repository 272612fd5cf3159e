// Lab lifecycle: create (namespaces, NATs, impairments, keys, one sshd per machine) -> Fleet,
// destroy by run id alone, list, and conntrack flushes between test cases.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Internet } from '../config/model.js';
import type { Fleet } from '../fleet/types.js';
import { assertDelayPossible, describeInternet, ensureDelayer, labDelayerArgs, startDelayer } from './delayer.js';
import { CommandError, systemExec, type Exec } from './exec.js';
import { archOf, describeMachine, labFleet } from './fleet.js';
import { InterruptGuard, LabInterruptedError } from './interrupt.js';
import { generateEd25519, renderKnownHosts, writeEd25519 } from './keys.js';
import { assertRunId, controllerVeth } from './names.js';
import { killNamespaceProcesses, labNamespacesByRun } from './namespaces.js';
import { hasNetem } from './netem.js';
import { resolveCommand } from './preflight.js';
import { needsNetem } from './recipes/impair.js';
import { needsDelay } from './recipes/internet.js';
import { natStateFlush, type NatKind } from './recipes/nat.js';
import { batchSteps } from './recipes/batch.js';
import { describeStep, stepArgv, type Step } from './recipes/steps.js';
import { renderSshdConfig, startSshd, waitForSsh } from './sshd.js';
import { claimSubnet, DEFAULT_CLAIM_DIR, listSubnetClaims, releaseSubnets } from './subnet-claim.js';
import { delayerImpairment, inetSteps, machineSteps, namespaceSteps, planTopology, type LabNodeSpec, type MachinePlan, type Topology } from './topology.js';

export interface LabSpec {
  runId: string;
  nodes: LabNodeSpec[];
  /** Hops and round trips of the lab's internet (default: 12 hops, no added delay). */
  internet?: Partial<Internet>;
  /** Absolute; default `.vps-test/runs/<run-id>/lab` under the current directory. */
  labRoot?: string;
}

export interface CreateLabOptions {
  exec?: Exec;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers while creating (default true). */
  handleSignals?: boolean;
  /** Where subnet claims live (default /run/vps-test/subnets). */
  claimDir?: string;
  sshTimeoutMs?: number;
  /** Override sch_netem detection. */
  netem?: boolean;
  /** Where a successful NFQUEUE probe is remembered for this boot (default /run/vps-test; '' = always probe). */
  delayProbeDir?: string;
  /** Makes the machines of `machine: 'vm'` nodes (docs/architecture.md, "VM machines"); required when there are any. */
  machines?: LabMachineHook;
  /**
   * Merge consecutive `ip` commands into `ip -batch` and bound the parallelism (default true).
   * false runs one process per command, every machine at once: the benchmark's naive baseline.
   */
  batch?: boolean;
  /** The run's client key, chosen by the caller (CI: derived per run); default: a fresh one. */
  clientKey?: { privateKey: string; publicKey: string };
}

/**
 * Where a node's machine is something other than a namespace (a VM, src/vm): the lab builds the
 * node's network as usual, runs the hook's steps in it, starts no sshd of its own for the node and
 * lets the hook boot the machine once the network exists. The lab does not import src/vm: the
 * local provider hands the hook in.
 */
export interface LabMachineHook {
  /** Extra steps in the node's namespaces, after the lab's own (the guest's tap). Pure. */
  steps(t: Topology, m: MachinePlan): Step[];
  /** Boots the machines; resolves once each answers SSH with the host key the lab generated. */
  start(ctx: MachineStartContext): Promise<Map<string, { workdir: string }>>;
  /** Removes the machines' files (overlays, seeds) after the lab's processes were killed. Idempotent. */
  cleanup(labRoot: string): Promise<void>;
}

export interface MachineStartContext {
  topology: Topology;
  machines: MachinePlan[];
  /** The run's client public key ("ssh-ed25519 AAAA..."). */
  clientKey: string;
  exec: Exec;
  progress: (line: string) => void;
  aborted: () => boolean;
}

/** Machines set up at once: enough to keep 2 cores busy while processes start, few enough not to thrash. */
const MACHINE_PARALLELISM = 8;

export interface Lab {
  runId: string;
  labRoot: string;
  topology: Topology;
  fleet: Fleet;
  /** known_hosts pinning every machine's host key at its public addresses. */
  knownHostsPath: string;
  destroy(): Promise<DestroyReport>;
}

export interface DestroyReport {
  runId: string;
  namespaces: string[];
  processesKilled: number;
  subnetsReleased: number[];
  controllerVethRemoved: boolean;
}

export interface LabSummary {
  runId: string;
  namespaces: string[];
  /** Internet subnets (indices into 198.18.0.0/15) claimed by the run. */
  subnets: number[];
}

export class LabError extends Error {
  override name = 'LabError';
}

export function defaultLabRoot(runId: string): string {
  return path.resolve('.vps-test', 'runs', runId, 'lab');
}

async function runSteps(exec: Exec, steps: Step[], guard: InterruptGuard, where: string): Promise<void> {
  for (const step of steps) {
    guard.check();
    try {
      await exec(stepArgv(step), step.input !== undefined ? { input: step.input } : {});
    } catch (err) {
      guard.check(); // a child killed by the same Ctrl-C is an interruption, not a failure
      const detail = err instanceof CommandError ? err.message : `\`${describeStep(step)}\`: ${String(err)}`;
      throw new LabError(`${where}: ${detail}${batchLine(step, err)}`);
    }
  }
}

/** `ip -batch` says "Command failed -:3": name that line. */
function batchLine(step: Step, err: unknown): string {
  if (!step.argv.includes('-batch') || !(err instanceof CommandError)) return '';
  const n = /Command failed -:(\d+)/.exec(err.stderr)?.[1];
  const line = n ? step.input?.split('\n')[Number(n) - 1] : undefined;
  return line ? ` (the failing command: \`ip ${line}\`)` : '';
}

/** Runs `fn` over `items` with at most `limit` at once; the first failure is thrown after the running ones end. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

async function rootAddresses(exec: Exec): Promise<string[]> {
  const out = (await exec(['ip', '-4', '-o', 'addr', 'show'])).stdout;
  return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] as string);
}

/** Every machine's steps, computed up front so a bad spec fails before anything exists. */
function planSteps(t: Topology, netem: boolean, hook?: LabMachineHook): Map<string, Step[]> {
  return new Map(t.machines.map((m) => [m.node, [...machineSteps(t, m, { netem }), ...(m.machine === 'vm' && hook ? hook.steps(t, m) : [])]]));
}

export async function createLab(spec: LabSpec, options: CreateLabOptions = {}): Promise<Lab> {
  const { runId } = spec;
  assertRunId(runId);
  const exec = options.exec ?? systemExec;
  const progress = (line: string) => options.onProgress?.(`lab ${runId}: ${line}`);
  const claimDir = options.claimDir ?? DEFAULT_CLAIM_DIR;
  const labRoot = spec.labRoot ?? defaultLabRoot(runId);
  const started = Date.now();

  // Everything that can be refused is refused before anything exists.
  const draft = planTopology(spec.nodes, { runId, subnetIndex: 0, labRoot, ...(spec.internet ? { internet: spec.internet } : {}) });
  const hook = options.machines;
  const vmNodes = draft.machines.filter((m) => m.machine === 'vm').map((m) => m.node);
  if (vmNodes.length > 0 && !hook) throw new LabError(`node(s) ${vmNodes.join(', ')} ask for machine: vm, but this lab was given no VM launcher`);
  planSteps(draft, true, hook);
  // a VM's impairment is its own kernel's netem (src/vm/seed.ts)
  const wantsNetem = spec.nodes.some((n) => n.machine !== 'vm' && needsNetem(n.impair));
  const netem = wantsNetem ? (options.netem ?? (await hasNetem(exec))) : false;
  // Without netem a node's delay and jitter go through the lab's packet delayer.
  const withDelayer = needsDelay(draft.internet) || draft.machines.some((m) => delayerImpairment(m, netem) !== undefined);
  let delayer: string | undefined;
  if (withDelayer) {
    await assertDelayPossible(exec, options.delayProbeDir !== undefined ? { probeDir: options.delayProbeDir } : {});
    delayer = await ensureDelayer(exec);
  }
  const existing = (await labNamespacesByRun(exec)).get(runId);
  if (existing) throw new LabError(`a lab for run ${runId} already exists (${existing.join(', ')}); destroy it first (vps-test down)`);
  const sshdPath = await resolveCommand('sshd');
  if (!sshdPath) throw new LabError('sshd not found: install openssh-server (see the lab preflight)');

  const cleanup = async () => {
    const report = await destroyLab(runId, { exec, claimDir, onProgress: options.onProgress });
    await hook?.cleanup(labRoot);
    return report;
  };
  const guard = new InterruptGuard(options.signal, async () => {
    await cleanup().catch(() => undefined);
    guard.reraise();
  });
  guard.install(options.handleSignals ?? true);
  try {
    const subnetIndex = await claimSubnet(runId, {
      dir: claimDir,
      runHasNamespaces: async (id) => (await labNamespacesByRun(exec)).has(id),
      rootAddresses: () => rootAddresses(exec),
    });
    const t = planTopology(spec.nodes, { runId, subnetIndex, labRoot, ...(spec.internet ? { internet: spec.internet } : {}) });
    const steps = planSteps(t, netem, hook);
    progress(`internet ${t.subnet.cidr}, controller ${t.subnet.controllerIp} (${t.controllerVeth}), lab root ${labRoot}`);

    await mkdir(t.keysDir, { recursive: true, mode: 0o700 });
    await mkdir(t.sshdDir, { recursive: true });
    await Promise.all(t.machines.map((m) => mkdir(m.workdir, { recursive: true })));
    guard.check();
    const clientKey = options.clientKey
      ? await writeEd25519(t.clientKeyPath, options.clientKey, `vps-test-${runId}-client`)
      : await generateEd25519(exec, t.clientKeyPath, `vps-test-${runId}-client`);
    const hostKeys = new Map(
      await Promise.all(
        t.machines.map(async (m) => [m.node, await generateEd25519(exec, m.sshd.hostKeyPath, `vps-test-${runId}-${m.node}`)] as const),
      ),
    );
    await writeFile(t.authorizedKeysPath, `${clientKey}\n`, { mode: 0o600 });
    await writeFile(
      t.knownHostsPath,
      renderKnownHosts(t.machines.map((m) => ({ addresses: m.publicIps, port: m.sshd.port, hostKey: hostKeys.get(m.node) as string }))),
    );
    progress(`keys: 1 client key, ${hostKeys.size} host keys (ed25519) in ${t.keysDir}`);

    const batch = options.batch ?? true;
    const shape = (list: Step[]) => (batch ? batchSteps(list) : list);
    const networkStarted = Date.now();
    await runSteps(exec, shape(namespaceSteps(t)), guard, `namespaces of run ${runId}`);
    await runSteps(exec, shape(inetSteps(t, { delayer: withDelayer })), guard, `internet ${t.inetNamespace}`);
    // The delayer starts while the machines are set up: nothing crosses the internet between
    // machines before it is ready (the queue has no bypass), and the controller's SSH is not queued.
    const delayerUp = delayer
      ? startDelayer(delayer, t.inetNamespace, labDelayerArgs(t, netem), path.join(t.sshdDir, 'delayer.log')).then(() => undefined, (err: unknown) => ({ err }))
      : Promise.resolve(undefined);
    await eachLimited(t.machines, batch ? MACHINE_PARALLELISM : t.machines.length, async (m) => {
      await runSteps(exec, shape(steps.get(m.node) ?? []), guard, `node "${m.node}"`);
      progress(describeMachine(t, m.node));
    });
    progress(`network of ${t.machines.length} machine(s) in ${((Date.now() - networkStarted) / 1000).toFixed(1)} s`);
    const delayerFailed = await delayerUp;
    if (delayerFailed) throw delayerFailed.err;
    progress(describeInternet(t.internet, Boolean(delayer)));

    // sshd's privilege-separation directory; packages create it at service start, we may be first.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const waits = await Promise.all(
      t.machines.filter((m) => m.machine !== 'vm').map(async (m) => {
        guard.check();
        await writeFile(m.sshd.configPath, renderSshdConfig(m.sshd, t.authorizedKeysPath));
        try {
          await startSshd(exec, sshdPath, m.machineNamespace, m.sshd.configPath, m.sshd.logPath);
        } catch (err) {
          guard.check();
          throw new LabError(`node "${m.node}": ${err instanceof Error ? err.message : String(err)}`);
        }
        return waitForSsh(m.publicIps[0] as string, m.sshd.port, {
          timeoutMs: options.sshTimeoutMs ?? 10_000,
          what: `node "${m.node}"`,
          logPath: m.sshd.logPath,
          aborted: () => guard.reason !== undefined,
        });
      }),
    );
    guard.check();
    if (waits.length > 0) progress(`sshd answering on ${waits.length} machine(s) (slowest ${Math.max(...waits)} ms)`);
    const vms = t.machines.filter((m) => m.machine === 'vm');
    const vmWorkdirs =
      vms.length > 0 && hook
        ? await hook.start({ topology: t, machines: vms, clientKey, exec, progress, aborted: () => guard.reason !== undefined })
        : new Map<string, { workdir: string }>();
    guard.check();

    const fleet = labFleet(t, hostKeys, { user: os.userInfo().username, arch: archOf(process.arch), vms: vmWorkdirs });
    await writeFile(path.join(labRoot, 'lab.json'), `${JSON.stringify({ topology: t, fleet }, null, 2)}\n`);
    guard.uninstall();
    progress(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { runId, labRoot, topology: t, fleet, knownHostsPath: t.knownHostsPath, destroy: cleanup };
  } catch (err) {
    const interrupted = guard.reason;
    progress(interrupted ? `interrupted (${interrupted}): removing what was created` : 'creation failed: removing what was created');
    let cleanupError: unknown;
    await cleanup().catch((e: unknown) => (cleanupError = e));
    if (interrupted) {
      guard.reraise();
      throw new LabInterruptedError(interrupted);
    }
    guard.uninstall();
    if (cleanupError) {
      const why = err instanceof Error ? err.message : String(err);
      throw new LabError(`${why}\n(cleanup also failed: ${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)})`);
    }
    throw err;
  }
}

export interface DestroyOptions {
  exec?: Exec;
  claimDir?: string;
  onProgress?: ((line: string) => void) | undefined;
}

/**
 * Removes everything of a run, knowing only its id: kills every process in its namespaces,
 * deletes them and the controller's veth, releases its subnet. Idempotent; safe to run while
 * another destroy of the same run is running.
 */
export async function destroyLab(runId: string, options: DestroyOptions = {}): Promise<DestroyReport> {
  assertRunId(runId);
  const exec = options.exec ?? systemExec;
  const namespaces = (await labNamespacesByRun(exec)).get(runId) ?? [];
  const processesKilled = await killNamespaceProcesses(namespaces);
  const failures: string[] = [];
  // The controller's veth first: deleting the internet's namespace would take it along
  // asynchronously, and this report must say what this call removed.
  const veth = controllerVeth(runId);
  const vethExists = (await exec(['ip', 'link', 'show', 'dev', veth], { allowFailure: true })).code === 0;
  let controllerVethRemoved = false;
  if (vethExists) {
    const result = await exec(['ip', 'link', 'del', 'dev', veth], { allowFailure: true });
    controllerVethRemoved = result.code === 0;
    const stillThere = (await exec(['ip', 'link', 'show', 'dev', veth], { allowFailure: true })).code === 0;
    if (stillThere) failures.push(`controller veth ${veth}: ${result.stderr.trim()}`);
  }
  if (namespaces.length > 0) {
    // one process for all of them; -force goes on past a namespace a concurrent destroy removed
    const input = `${namespaces.map((ns) => `netns del ${ns}`).join('\n')}\n`;
    const result = await exec(['ip', '-force', '-batch', '-'], { input, allowFailure: true });
    const errors = result.stderr.split('\n').filter((l) => l.trim() !== '' && !/No such file|Command failed/.test(l));
    if (result.code !== 0 && errors.length > 0) failures.push(`ip netns del: ${errors.slice(0, 5).join(' | ')}`);
  }
  const subnetsReleased = await releaseSubnets(runId, { dir: options.claimDir ?? DEFAULT_CLAIM_DIR });
  const left = (await labNamespacesByRun(exec)).get(runId) ?? [];
  if (left.length > 0) failures.push(`namespaces still present: ${left.join(', ')}`);
  if (failures.length > 0) throw new LabError(`destroying lab ${runId} left resources behind:\n  - ${failures.join('\n  - ')}`);
  if (namespaces.length > 0 || subnetsReleased.length > 0) {
    options.onProgress?.(
      `lab ${runId}: destroyed ${namespaces.length} namespace(s), killed ${processesKilled} process(es), released subnet(s) ${subnetsReleased.join(', ') || 'none'}`,
    );
  }
  return { runId, namespaces, processesKilled, subnetsReleased, controllerVethRemoved };
}

/** Runs that have live namespaces on this machine. */
export async function listLabs(options: { exec?: Exec; claimDir?: string } = {}): Promise<LabSummary[]> {
  const byRun = await labNamespacesByRun(options.exec ?? systemExec);
  const claims = await listSubnetClaims(options.claimDir ?? DEFAULT_CLAIM_DIR);
  return [...byRun.entries()]
    .map(([runId, namespaces]) => ({
      runId,
      namespaces: namespaces.sort(),
      subnets: claims.filter((c) => c.runId === runId).map((c) => c.index),
    }))
    .sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Every NAT router of the fleet: each node's own, and behind two NATs its carrier's too. */
export interface NatRouter {
  name: string;
  namespace: string;
  nat: NatKind;
}

export function natRouters(fleet: Fleet): NatRouter[] {
  return fleet.nodes.flatMap((n) => {
    if (!n.routerNamespace || n.nat === 'none') return [];
    const own = { name: n.name, namespace: n.routerNamespace, nat: n.nat };
    const carrier = n.carrierRouter && n.carrierRouter.nat !== 'none' ? [{ name: `${n.name} (carrier)`, namespace: n.carrierRouter.namespace, nat: n.carrierRouter.nat }] : [];
    return [own, ...carrier];
  });
}

/**
 * Between trials, every NAT router forgets everything: its recipe's own state first (the cone
 * map, the contacted set: conntrack -F leaves them, with 5-minute timeouts), then its
 * connection table. A trial after this starts from nothing.
 */
export async function flushConntrack(fleet: Fleet, options: { exec?: Exec } = {}): Promise<void> {
  const exec = options.exec ?? systemExec;
  await Promise.all(
    natRouters(fleet).map(async (n) => {
      const ns = n.namespace;
      const state = natStateFlush(n.nat);
      if (state) {
        // The recipe's map/set may be gone when the router's ruleset was replaced on purpose (a
        // NAT changed between soak checkpoints): then there is no cone state left to flush.
        const r = await exec(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], { input: state, allowFailure: true });
        if (r.code !== 0 && !/No such file or directory/.test(r.stderr)) throw new LabError(`flushing the NAT state of node "${n.name}" (${ns}): ${r.stderr.trim()}`);
      }
      await exec(['ip', 'netns', 'exec', ns, 'conntrack', '-F']);
    }),
  );
}
