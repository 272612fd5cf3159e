// The naive TEST stage, as teams run it by hand today: on the same lab, ONE ORDERED PAIR AT A
// TIME. For each trial and each ordered pair (from -> to): flush conntrack, start the probe on
// just those two nodes over SSH (each with `--peers` the other one), wait for both, next pair.
// Everything else (lab, deploy, rendezvous server, probe command line) is what the pipeline uses.
import path from 'node:path';
import { createLab, flushConntrack, type Lab } from '../../src/lab/lab.js';
import { labNodesOf } from '../../src/providers/local.js';
import { binaryPath, deployArtifact, startService } from '../../src/deploy/index.js';
import { SshPool } from '../../src/ssh/index.js';
import { probeArgv } from '../../src/subject/index.js';
import { AGENT_SERVER_SERVICE } from '../../src/run/deploy-stage.js';
import type { Artifact } from '../../src/build/index.js';
import type { Config } from '../../src/config/schema.js';
import type { Plan, PlannedSuite } from '../../src/plan/types.js';
import type { FleetNode } from '../../src/providers/types.js';
import { addTallies, EMPTY_TALLY, SSH_LOSS, tallyAttempts, type Tally } from './stats.js';

export interface NaiveOptions {
  runId: string;
  labRoot: string;
  artifact: Artifact;
  config: Config;
  plan: Plan;
  /** Measure every trial when the first trial projects the whole stage under this; else 2 trials. */
  fullBudgetMs: number;
  signal: AbortSignal;
  log: (line: string) => void;
  /** Called once the lab exists, so the caller can destroy it whatever happens next. */
  onLab: (lab: Lab) => void;
}

export interface NaiveResult {
  pairs: number;
  trialsPlanned: number;
  trialsMeasured: number;
  /** wall time of each measured trial (flushes + probes of every pair) */
  trialMs: number[];
  measuredMs: number;
  /** measuredMs scaled to all planned trials (equal to measuredMs when all were measured) */
  fullStageMs: number;
  extrapolated: boolean;
  tally: Tally;
  setupMs: number;
  /** pairs rerun once after a lost SSH connection */
  retries: string[];
}

export async function runNaiveTestStage(o: NaiveOptions): Promise<NaiveResult> {
  const suite = o.plan.suites.find((s) => s.name === 'connectivity' && s.pairs.length > 0);
  if (!suite) throw new Error('the plan has no connectivity suite with pairs: nothing to compare');
  const setupStarted = performance.now();
  const lab = await createLab({ runId: o.runId, nodes: labNodesOf(o.plan), labRoot: o.labRoot }, { onProgress: o.log, signal: o.signal, handleSignals: false });
  o.onLab(lab);
  const fleet = lab.fleet;
  const pool = SshPool.forFleet(fleet);
  try {
    const binaryName = path.basename(o.artifact.path);
    const deployed = await deployArtifact(pool, fleet.nodes, { path: o.artifact.path, sha256: o.artifact.sha256, size: o.artifact.size, name: binaryName });
    const failed = deployed.filter((r) => r.status === 'failed');
    if (failed.length) throw new Error(`naive: deploy failed on ${failed.map((r) => `${r.node} (${r.error ?? 'unknown'})`).join(', ')}`);
    const binPath = (node: FleetNode) => binaryPath(node, binaryName);
    const bootstrap = fleet.nodes.find((n) => n.role === 'bootstrap');
    if (!bootstrap) throw new Error('naive: the fleet has no bootstrap node for the rendezvous server');
    const agent = o.config.agent;
    const serveArgv = [binPath(bootstrap), 'serve', '--port', String(agent.port), '--name', bootstrap.name, ...(agent.relay ? [] : ['--no-relay'])];
    await startService(pool, bootstrap, { name: AGENT_SERVER_SERVICE, command: serveArgv.join(' '), ready: { udp: agent.port, timeoutMs: 15_000 } }, { signal: o.signal });
    const setupMs = performance.now() - setupStarted;
    o.log(`naive: lab up, agent deployed, rendezvous on ${bootstrap.publicIp}:${agent.port} (${(setupMs / 1000).toFixed(1)} s)`);

    const byName = new Map(fleet.nodes.map((n) => [n.name, n]));
    const probe = {
      server: `${bootstrap.publicIp}:${agent.port}`,
      timeoutMs: o.config.tests.connectivity?.timeout ?? 3000,
      noRelay: !agent.relay,
    };
    const trialMs: number[] = [];
    const retries: string[] = [];
    let tally = EMPTY_TALLY;
    let round = 900_000; // far from the pipeline's round numbers
    let trialsToMeasure = suite.trials;
    for (let trial = 1; trial <= trialsToMeasure; trial++) {
      const started = performance.now();
      for (const pair of suite.pairs) {
        o.signal.throwIfAborted();
        await flushConntrack(fleet);
        const from = byName.get(pair.from) as FleetNode;
        const to = byName.get(pair.to) as FleetNode;
        let out: string;
        try {
          out = await probePair(pool, from, to, ++round, suite, probe, binPath, o.signal);
        } catch (err) {
          // A lost SSH connection (see SSH_LOSS_NOTE in render.ts): rerun the pair once, as one
          // would by hand; the pool reconnects. The time of both tries counts.
          if (o.signal.aborted || !SSH_LOSS.test((err as Error).message)) throw err;
          retries.push(`trial ${trial} ${pair.from}>${pair.to}: ${(err as Error).message}`);
          o.log(`naive: retrying ${pair.from}>${pair.to} once: ${(err as Error).message}`);
          out = await probePair(pool, from, to, ++round, suite, probe, binPath, o.signal);
        }
        tally = addTallies(tally, tallyAttempts(out, [pair]));
      }
      trialMs.push(performance.now() - started);
      o.log(`naive: trial ${trial}: ${suite.pairs.length} pairs one at a time in ${((trialMs.at(-1) as number) / 1000).toFixed(1)} s`);
      if (trial === 1 && (trialMs[0] as number) * suite.trials > o.fullBudgetMs) {
        trialsToMeasure = Math.min(2, suite.trials);
        o.log(`naive: ${suite.trials} trials would take ~${(((trialMs[0] as number) * suite.trials) / 1000).toFixed(0)} s: measuring ${trialsToMeasure} and extrapolating`);
      }
    }
    const measuredMs = trialMs.reduce((a, b) => a + b, 0);
    return {
      pairs: suite.pairs.length,
      trialsPlanned: suite.trials,
      trialsMeasured: trialMs.length,
      trialMs,
      measuredMs,
      fullStageMs: (measuredMs / trialMs.length) * suite.trials,
      extrapolated: trialMs.length < suite.trials,
      tally,
      setupMs,
      retries,
    };
  } finally {
    await pool.close();
  }
}

/** Both ends of one pair at once (the punch needs both); returns the initiator's stdout. */
async function probePair(
  pool: SshPool,
  from: FleetNode,
  to: FleetNode,
  round: number,
  suite: PlannedSuite,
  p: { server: string; timeoutMs: number; noRelay: boolean },
  binPath: (n: FleetNode) => string,
  signal: AbortSignal,
): Promise<string> {
  const opts = { timeoutMs: p.timeoutMs, roundBase: 0, noRelay: p.noRelay };
  const run = (node: FleetNode, peer: FleetNode) =>
    pool.execArgv(node, probeArgv(binPath(node), node.name, [peer.name], p.server, round, suite.name, opts), { asNode: true, timeoutMs: p.timeoutMs * 3 + 10_000, signal });
  const [initiator, responder] = await Promise.all([run(from, to), run(to, from)]);
  for (const [node, r] of [[from, initiator], [to, responder]] as const) {
    if (r.code !== 0) throw new Error(`naive: probe on ${node.name} (round ${round}) exited ${r.timedOut ? 'by timeout' : r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return initiator.stdout;
}
