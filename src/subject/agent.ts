// The reference agent's CLI (docs/architecture.md, "Subject drivers"): in a round every node
// runs one `probe` at the same time (a punch needs both ends active); throughput streams to an
// agent sink on public nodes; gossip floods over the bootstrap's relay.
import type { FleetNode } from '../fleet/types.js';
import { pairTimeout, type PlannedSuite } from '../plan/types.js';
import { rotateRounds } from '../plan/rotation.js';
import type { Outcome } from '../results/gate.js';
import { startService, stopService } from '../deploy/index.js';
import { shellJoin } from '../ssh/index.js';
import { runAsNode } from './run.js';
import type { DriverContext, SubjectDriver } from './types.js';

export const SINK_PORT = 9101;

/** The probe command line for one node in one round. */
export function probeArgv(bin: string, node: string, peers: string[], server: string, round: number, suite: string, o: { timeoutMs: number; noRelay?: boolean; startAtMs?: number; startWindowMs?: number }): string[] {
  const argv = [bin, 'probe', '--name', node, '--server', server, '--peers', peers.join(','), '--round', String(round), '--suite', suite, '--timeout-ms', String(o.timeoutMs)];
  if (o.startWindowMs !== undefined) argv.push('--start-window-ms', String(o.startWindowMs));
  if (o.startAtMs !== undefined) argv.push('--start-at', String(o.startAtMs));
  if (suite === 'relay') argv.push('--force-relay');
  if (o.noRelay) argv.push('--no-relay');
  return argv;
}

/** Rounds of at least this many nodes on one shared clock start together at --start-at. */
export const SYNC_START_NODES = 12;

/**
 * How long before the round's probes start the driver launches them (lab: every node on this
 * host's clock). The probes' commands reach 100 nodes within ~0.8 s on warm SSH connections
 * (bench/scale/exec-spread.ts); without a common start the first probes' traffic slowed the
 * launch of the rest to a 30 s spread, and their peers never registered in time.
 */
export function startLeadMs(nodes: number): number {
  return 200 + 8 * nodes;
}

/** One round's probes: each node with its --peers (every other node, or a rotation's share). */
export interface ProbeRound {
  peers: Map<string, string[]>;
}

/** The rounds one trial of the suite is split into: one with every pair, or the plan's rotation. */
export function trialRounds(suite: PlannedSuite): ProbeRound[] {
  if (suite.rotation) return rotateRounds(suite.pairs, 1, suite.rotation.pairsPerRound).map((r) => ({ peers: r.peers }));
  const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
  return [{ peers: new Map(names.map((n) => [n, names.filter((x) => x !== n)])) }];
}

/** A node's outcome over the trial's rounds: the first that went wrong, else the last. */
function mergeOutcome(earlier: Outcome | undefined, later: Outcome): Outcome {
  return earlier && (earlier.code !== 0 || earlier.error || earlier.timedOut) ? earlier : later;
}

function serverOf(ctx: DriverContext): string {
  if (!ctx.server.ip) throw new Error('the agent driver needs its rendezvous server (a bootstrap node running the agent)');
  return `${ctx.server.ip}:${ctx.server.port}`;
}

function node(ctx: DriverContext, name: string): FleetNode {
  const n = ctx.fleet.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node named ${name} in the fleet`);
  return n;
}

export const agentDriver: SubjectDriver = {
  name: 'agent',
  process: { pairs: 'probe', throughput: 'throughput', gossip: 'gossip' },
  pathFromEvidence: false,

  // A probe initiates towards every peer it is given, and it must be given every peer it
  // answers: in nat-traversal (no pairs towards public nodes) some of its attempts are unplanned.
  byproducts(suite) {
    const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
    const planned = new Set(suite.pairs.map((p) => `${p.from}>${p.to}`));
    return names.flatMap((from) => names.filter((to) => to !== from && !planned.has(`${from}>${to}`)).map((to) => ({ from, to })));
  },

  // A trial is one round, or for a big fleet the plan's rotation: several rounds, one after the
  // other, that together probe every pair once (docs/architecture.md, "Pair rotation"). All carry
  // the trial's round number: session ids stay unique (each pair is in one of them).
  async pairRound(ctx, suite: PlannedSuite, round) {
    const server = serverOf(ctx);
    const subject = ctx.plan.subject;
    const noRelay = subject.driver === 'agent' && !subject.relay;
    const timeoutMs = pairTimeout(suite);
    const outcomes = new Map<string, Outcome>();
    const rounds = trialRounds(suite);
    for (const [index, r] of rounds.entries()) {
      ctx.signal?.throwIfAborted();
      const sync = ctx.fleet.provider === 'local' && r.peers.size >= SYNC_START_NODES;
      const leadMs = sync ? startLeadMs(r.peers.size) : 0;
      const startAtMs = sync ? Date.now() + leadMs : undefined;
      await Promise.all(
        [...r.peers].map(async ([name, peers]) => {
          const n = node(ctx, name);
          // An attempt waits up to two timeouts for a peer that started late (at load ~27 some
          // probes of a 100-node round started seconds after --start-at), then has its own.
          // Peers on time pair at once; only a peer that never comes costs the whole window.
          const startWindowMs = sync ? 2 * timeoutMs : undefined;
          const argv = probeArgv(ctx.binPath(n), name, peers, server, round, suite.name, { timeoutMs, noRelay, ...(startAtMs !== undefined && { startAtMs, startWindowMs }) });
          const res = await runAsNode(ctx, n, shellJoin(argv), leadMs + (startWindowMs ?? timeoutMs) + timeoutMs * 2 + 10_000, (line) => ctx.gate.line(name, line));
          outcomes.set(name, mergeOutcome(outcomes.get(name), res));
          const part = rounds.length > 1 ? ` part ${index + 1}/${rounds.length}` : '';
          if (res.code !== 0) ctx.log(`probe on ${name} (round ${round}${part}) ${res.error ? `could not run: ${res.error}` : `exited ${res.timedOut ? 'by timeout' : res.code}`}${res.stderrTail ? `: ${res.stderrTail}` : ''}`);
        }),
      );
    }
    return outcomes;
  },

  async prepareThroughput(ctx, targets) {
    for (const t of targets) {
      if (t.nat !== 'none') throw new Error(`throughput target ${t.name} is behind a ${t.nat} NAT: a sink must be reachable, pick a public node`);
    }
    const started: FleetNode[] = [];
    const stop = async () => {
      await Promise.all(started.map((t) => stopService(ctx.pool, t, 'throughput-sink').catch(() => undefined)));
    };
    try {
      for (const t of targets) {
        await startService(ctx.pool, t, { name: 'throughput-sink', command: [ctx.binPath(t), 'serve', '--port', String(SINK_PORT), '--no-relay', '--name', t.name].join(' '), ready: { tcp: SINK_PORT, timeoutMs: 10_000 } });
        started.push(t);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    return stop;
  },

  async throughputPair(ctx, from, to, seconds) {
    const argv = [ctx.binPath(from), 'throughput', '--name', from.name, '--to', to.name, '--addr', `${to.publicIp}:${SINK_PORT}`, '--seconds', String(seconds)];
    return runAsNode(ctx, from, shellJoin(argv), seconds * 1000 + 20_000, (line) => ctx.gate.line(from.name, line));
  },

  async gossip(ctx, origin, msg, durationMs) {
    const server = serverOf(ctx);
    const fanout = ctx.plan.gossip?.fanout ?? 3;
    const names = ctx.fleet.nodes.map((n) => n.name);
    const outcomes = new Map<string, Outcome>();
    await Promise.all(
      ctx.fleet.nodes.map(async (n) => {
        const argv = [ctx.binPath(n), 'gossip', '--name', n.name, '--server', server, '--peers', names.join(','), '--origin', n.name === origin.name ? 'yes' : 'no', '--msg', msg, '--fanout', String(fanout), '--duration-ms', String(durationMs)];
        outcomes.set(n.name, await runAsNode(ctx, n, shellJoin(argv), durationMs + 15_000, (line) => ctx.gate.line(n.name, line)));
      }),
    );
    return outcomes;
  },
};
