// The bodies of the stages: each reads what it needs from the run folder (unless the previous
// stage of this same process still holds it) and writes what it made back there (files.ts).
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Plan, Proof } from '../plan/types.js';
import { buildArtifacts, type Artifact } from '../build/index.js';
import { abortableRunner } from '../build/exec.js';
import type { Fleet, FleetNode, Provider, RunContext } from '../providers/types.js';
import { SshPool } from '../ssh/index.js';
import { collectLogs } from '../deploy/index.js';
import { EventSink } from '../suites/sink.js';
import type { SuiteContext } from '../suites/context.js';
import { metricsResultsPath, readMetricScrapes } from '../metrics/index.js';
import { aggregateSources, evaluate, loadResultsJson, readScenarioSteps, scenarioResultsPath, type ResultsJson } from '../results/index.js';
import { renderResultsJson } from '../report/json.js';
import { writeReportSet } from '../report/bundle.js';
import { proofCollectsLogs } from '../report/proof-modes.js';
import type { RunStateFile } from './state.js';
import { ciClientKey, ensureClientKey, markDerivedKey, SECRET_ENV } from './ci-key.js';
import { controllerLiveness, processStartTime } from './controller.js';
import { hostname } from 'node:os';
import { AGENT_SERVER_SERVICE, deployStage } from './deploy-stage.js';
import { testStage } from './test-stage.js';
import { readArtifacts, readDeployment, readFleet, readPlan, RUN_FILES, writeArtifacts, writeDeployment, writeFleet, type DeploymentRecord } from './files.js';

export interface StepEnv {
  run: RunContext;
  state: RunStateFile;
  signal: AbortSignal;
  config(): Config;
  plan(): Plan;
  provider(): Provider;
  cwd: string;
  zigCacheDir?: string;
}

/** The fleet and SSH pool a process holds across its stages (the pool is opened once). */
export interface Held {
  fleet(): Fleet | undefined;
  pool(): SshPool | undefined;
  setPool(pool: SshPool): void;
}

export async function buildStep(env: StepEnv): Promise<Artifact[]> {
  const artifacts = await buildArtifacts(env.plan().build, {
    cwd: env.cwd,
    outDir: join(env.run.runDir, 'build'),
    onProgress: env.run.log,
    ...(env.zigCacheDir && { zigCacheDir: env.zigCacheDir }),
    signal: env.signal,
    run: abortableRunner(env.signal, (pid, done) => recordChild(env.state, pid, done)),
  });
  writeArtifacts(env.run.runDir, artifacts);
  return artifacts;
}

function recordChild(state: RunStateFile, pid: number, done: boolean): void {
  const others = (state.state.children ?? []).filter((c) => c.pid !== pid);
  const startTime = processStartTime(pid);
  state.update({ children: done ? others : [...others, { pid, host: hostname(), ...(startTime !== undefined && { startTime }) }] });
}

/** Process groups a dead controller started (a build killed with it by -9): ended before anything else. */
export function killOrphanedChildren(state: RunStateFile, log: (l: string) => void): void {
  for (const c of state.state.children ?? []) {
    if (controllerLiveness(c) !== 'alive') continue;
    try {
      process.kill(-c.pid, 'SIGKILL');
      log(`ended process group ${c.pid} left running by the dead controller`);
    } catch {
      /* gone meanwhile */
    }
  }
  if (state.state.children?.length) state.update({ children: [] });
}

export async function provisionStep(env: StepEnv): Promise<Fleet> {
  const provider = env.provider();
  if (env.state.state.fleetUp) {
    // an earlier attempt died while provisioning: what it made goes first (destroy is idempotent)
    env.run.log('removing what an earlier attempt of this stage left behind');
    await provider.destroy({ runId: env.run.runId, runDir: env.run.runDir, log: env.run.log });
  }
  env.state.update({ fleetUp: true }); // from here on, something may exist that teardown must remove
  // with VPS_TEST_SSH_SECRET the run's client key is derived, so later jobs can regenerate it (ci-key.ts)
  const clientKey = ciClientKey(env.run.runId);
  const fleet = markDerivedKey(await provider.provision(env.plan(), { ...env.run, ...(clientKey && { clientKey }) }), clientKey);
  if (clientKey && !fleet.clientKeyFingerprint) env.run.log(`${SECRET_ENV} is set, but the ${fleet.provider} fleet logs in with its own key ${fleet.clientKeyPath}: a later job needs that key file (or VPS_TEST_SSH_KEY)`);
  await writeFleet(env.run.runDir, fleet);
  // planned nodes the provider never reached are unreachable from the start (docs/architecture.md, "Unreachable nodes")
  if (fleet.unreachable?.length) {
    const since = new Date().toISOString();
    const known = new Set((env.state.state.unreachable ?? []).map((u) => u.node));
    const fresh = fleet.unreachable.filter((u) => !known.has(u.name)).map((u) => ({ node: u.name, since, reason: `never reached while provisioning: ${u.reason}` }));
    if (fresh.length) env.state.update({ unreachable: [...(env.state.state.unreachable ?? []), ...fresh] });
  }
  return fleet;
}

export async function fleetOf(env: StepEnv, held: Held): Promise<Fleet> {
  const known = held.fleet();
  if (known) return known;
  // a CI job continuing a run another job provisioned regenerates the run's key (ci-key.ts)
  const { fleet, note } = ensureClientKey(await readFleet(env.run.runDir));
  if (note) env.run.log(note);
  return fleet;
}

/** The run's pool, aborted with the run's signal; unreachable nodes are recorded in state.json. */
export function poolOf(env: StepEnv, held: Held, fleet: Fleet): SshPool {
  const existing = held.pool();
  if (existing) return existing;
  const pool = SshPool.forFleet(fleet, { signal: env.signal });
  pool.onUnreachable((u) => {
    const since = u.since.toISOString();
    env.run.log(`node ${u.node} unreachable since ${since}: ${u.reason}`);
    env.state.update({ unreachable: [...(env.state.state.unreachable ?? []), { node: u.node, since, reason: u.reason }] });
  });
  held.setPool(pool);
  return pool;
}

export async function deployStep(env: StepEnv, held: Held, built: Artifact[] | undefined): Promise<DeploymentRecord> {
  const fleet = await fleetOf(env, held);
  const artifacts = built ?? (await readArtifacts(env.run.runDir));
  const plan = env.plan();
  const binaryName = artifacts[0] ? (artifacts[0].path.split('/').pop() as string) : 'subject';
  const deployed = await deployStage({ plan, fleet, pool: poolOf(env, held, fleet), artifacts, binaryName, log: env.run.log, runId: env.run.runId });
  const bootstrap = fleet.nodes.find((n) => n.role === 'bootstrap');
  const record: DeploymentRecord = {
    binaryName: deployed.binaryName,
    binPaths: Object.fromEntries(fleet.nodes.map((n) => [n.name, deployed.binPath(n)])),
    ...(deployed.server && bootstrap && { server: { node: bootstrap.name, ip: deployed.server.ip, port: deployed.server.port, relay: plan.subject.driver === 'agent' ? plan.subject.relay : false } }),
    services: [
      ...(deployed.server && bootstrap ? [{ node: bootstrap.name, name: AGENT_SERVER_SERVICE }] : []),
      ...(plan.service ? fleet.nodes.map((n) => ({ node: n.name, name: 'service' })) : []),
    ],
    deployedAt: new Date().toISOString(),
  };
  writeDeployment(env.run.runDir, record);
  return record;
}

/**
 * Returns the number of result lines written. results.jsonl starts empty on every attempt.
 * A soak checkpoint (soak-stage.ts) runs it again into its own folder, with its own name.
 */
export async function testStep(env: StepEnv, held: Held, deployed: DeploymentRecord | undefined, at?: { dir: string; checkpoint: string }): Promise<number> {
  const fleet = await fleetOf(env, held);
  const deployment = deployed ?? readDeployment(env.run.runDir, fleet);
  if (at) await mkdir(at.dir, { recursive: true });
  const eventsPath = join(at?.dir ?? env.run.runDir, RUN_FILES.events);
  writeFileSync(eventsPath, '');
  const sink = new EventSink(eventsPath);
  const pool = poolOf(env, held, fleet);
  // cloud and inventory machines: flush and counters over SSH (docs/architecture.md, "Path evidence")
  const trials = env.provider().trials?.(fleet, pool, env.run);
  const ctx: SuiteContext = {
    fleet,
    pool,
    plan: env.plan(),
    binPath: (node: FleetNode) => deployment.binPaths[node.name] as string,
    server: deployment.server ? { ip: deployment.server.ip, port: deployment.server.port } : { ip: '', port: 0 },
    events: sink,
    flushNat: trials ? () => trials.flushNat() : () => flushNat(fleet),
    ...(trials && { readEvidence: () => trials.readEvidence() }),
    log: env.run.log,
    signal: env.signal,
  };
  try {
    await testStage(ctx, env.plan(), at?.checkpoint);
  } finally {
    await sink.close();
  }
  return sink.lines;
}

/** `dir`: a soak checkpoint's folder instead of the run folder (same files, same evaluation). */
export async function evaluateStep(env: StepEnv, o: { baselinePath?: string; stageError?: string; dir?: string }): Promise<ResultsJson> {
  const { runId } = env.run;
  const runDir = o.dir ?? env.run.runDir;
  const eventsPath = join(runDir, RUN_FILES.events);
  if (!existsSync(eventsPath)) await writeFile(eventsPath, '');
  const plan = tryPlan(env);
  const baseline = o.baselinePath ? await loadResultsJson(o.baselinePath) : undefined;
  const aggregate = await aggregateSources([eventsPath]);
  const unreachable = [...new Set((env.state.state.unreachable ?? []).map((u) => u.node))];
  const scenarioSteps = await readScenarioSteps(scenarioResultsPath(runDir));
  const m = plan?.metrics;
  const metrics = m && { criteria: m.criteria, scrapes: await readMetricScrapes(metricsResultsPath(runDir)), endpoint: `:${m.port}${m.path}` };
  const results = evaluate({
    ...(plan && { plan }),
    aggregate,
    scenarioSteps,
    ...(metrics && { metrics }),
    generatedAt: new Date().toISOString(),
    runId,
    project: plan?.choices.project ?? env.state.state.project,
    ...(baseline && { baseline }),
    ...(o.stageError && { stageError: o.stageError }),
    ...(unreachable.length && { unreachable }),
  });
  await writeFile(join(runDir, RUN_FILES.results), renderResultsJson(results));
  return results;
}

export async function reportStep(env: StepEnv, evaluated: ResultsJson | undefined, o: { branch: string; pr?: number }): Promise<Record<string, string>> {
  const { runDir } = env.run;
  const results = evaluated ?? (await loadResultsJson(join(runDir, RUN_FILES.results)));
  const plan = tryPlan(env);
  const journal = plan?.journal;
  await mkdir(runDir, { recursive: true });
  return writeReportSet({
    results,
    ...(plan && { plan }),
    out: runDir,
    time: new Date(),
    branch: o.branch,
    ...(o.pr !== undefined && { pr: o.pr }),
    evidence: [],
    runFiles: { events: join(runDir, RUN_FILES.events), logs: join(runDir, 'logs'), metrics: plan?.metrics ? metricsResultsPath(runDir) : null },
    ...(journal && { journal: resolve(env.cwd, journal) }),
  });
}

export async function teardownStep(env: StepEnv, held: Held, o: { keep: boolean; collectLogs: boolean }): Promise<void> {
  const { run, state } = env;
  const runPool = held.pool();
  // The run's open connections serve the log collection unless the run was aborted (its pool's
  // operations all fail then): a fresh pool would pay every node's handshake again.
  const poolLives = runPool !== undefined && !env.signal?.aborted;
  if (!poolLives) await runPool?.close();
  const fleet = held.fleet() ?? (state.state.fleetUp ? await readFleet(run.runDir).then((f) => withClientKey(f, run.log)).catch(() => undefined) : undefined);
  const proof = tryPlan(env)?.choices.proof ?? 'all-evidence';
  if (fleet && state.state.fleetUp && o.collectLogs && proofCollectsLogs(proof)) {
    const { gone, reachable } = reachableNodes(fleet, state);
    const logsPool = poolLives ? runPool : SshPool.forFleet(fleet, { connectTimeoutMs: 5000 });
    try {
      const logs = await collectLogs(logsPool, reachable, join(run.runDir, 'logs')).catch((err: Error) => (run.log(`log collection failed: ${err.message}`), []));
      run.log(`logs collected from ${logs.length} nodes into ${join(run.runDir, 'logs')}${gone.size ? ` (not from unreachable ${[...gone].join(', ')})` : ''}`);
    } finally {
      await logsPool.close();
    }
  } else if (fleet && state.state.fleetUp) {
    run.log(o.collectLogs ? `logs not collected: proof ${proof} keeps no node logs` : 'logs not collected: the run was interrupted');
  }
  await runPool?.close(); // closing twice is harmless
  if (o.keep && state.state.fleetUp) {
    run.log(`--keep: the fleet stays up; inspect with \`vps-test nodes ${run.runId}\`, remove with \`vps-test down ${run.runId}\``);
    return;
  }
  if (state.state.fleetUp) {
    // Teardown must not be cut short by the Ctrl-C that may have brought us here: no signal.
    await env.provider().destroy({ runId: run.runId, runDir: run.runDir, log: run.log });
    state.update({ fleetUp: false });
  }
}

/**
 * `down` of a fleet that is still up (kept with --keep, or its controller died): the nodes' logs
 * and units' journal as they are now, collected before the fleet goes, so what happened after
 * the run's own teardown is not lost. Never stops the removal.
 */
export async function collectLogsBeforeDown(run: RunStateFile, log: (l: string) => void): Promise<void> {
  if (!run.state.fleetUp) return;
  let proof: Proof = 'all-evidence';
  try {
    proof = readPlan(run.dir).choices.proof;
  } catch {
    // no plan: the default proof keeps logs
  }
  if (!proofCollectsLogs(proof)) return;
  const fleet = await readFleet(run.dir).then((f) => withClientKey(f, log)).catch(() => undefined);
  if (!fleet) return;
  const { gone, reachable } = reachableNodes(fleet, run);
  const pool = SshPool.forFleet(fleet, { connectTimeoutMs: 5000 });
  try {
    const logs = await collectLogs(pool, reachable, join(run.dir, 'logs'), { timeoutMs: 10_000 });
    const failed = logs.filter((l) => !l.ok);
    const missed = [...failed.map((l) => `${l.node}: ${l.error ?? 'failed'}`), ...[...gone].map((n) => `${n}: unreachable`)];
    log(`logs collected from ${logs.length - failed.length} of ${fleet.nodes.length} nodes into ${join(run.dir, 'logs')}${missed.length ? ` (not from ${missed.join('; ')})` : ''}`);
  } finally {
    await pool.close();
  }
}

/** The nodes logs are collected from: those the run knows to be unreachable are not waited for. */
function reachableNodes(fleet: Fleet, run: RunStateFile): { gone: Set<string>; reachable: FleetNode[] } {
  const gone = new Set((run.state.unreachable ?? []).map((u) => u.node));
  return { gone, reachable: fleet.nodes.filter((n) => !gone.has(n.name)) };
}

/** Teardown's fleet with its client key here (ci-key.ts); without it the logs are not collected, the fleet still goes. */
function withClientKey(fleet: Fleet, log: (l: string) => void): Fleet | undefined {
  try {
    const { fleet: ready, note } = ensureClientKey(fleet);
    if (note) log(note);
    return ready;
  } catch (err) {
    log(`logs not collected: ${(err as Error).message}`);
    return undefined;
  }
}

function tryPlan(env: StepEnv): Plan | undefined {
  try {
    return env.plan();
  } catch {
    return undefined;
  }
}

async function flushNat(fleet: Fleet): Promise<void> {
  if (fleet.provider !== 'local') return;
  const { flushConntrack } = await import('../lab/lab.js');
  await flushConntrack(fleet);
}
