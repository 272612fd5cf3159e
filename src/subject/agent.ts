// The reference agent's CLI (docs/architecture.md, "Subject drivers"): in a round every node
// runs one `probe` at the same time (a punch needs both ends active); throughput streams to an
// agent sink on public nodes; gossip floods over the bootstrap's relay.
import type { FleetNode } from '../fleet/types.js';
import { pairTimeout, type PlannedSuite } from '../plan/types.js';
import type { Outcome } from '../results/gate.js';
import { startService, stopService } from '../deploy/index.js';
import { shellJoin } from '../ssh/index.js';
import { runAsNode } from './run.js';
import type { DriverContext, SubjectDriver } from './types.js';

export const SINK_PORT = 9101;

/** The probe command line for one node in one round. */
export function probeArgv(bin: string, node: string, peers: string[], server: string, round: number, suite: string, o: { timeoutMs: number; noRelay?: boolean }): string[] {
  const argv = [bin, 'probe', '--name', node, '--server', server, '--peers', peers.join(','), '--round', String(round), '--suite', suite, '--timeout-ms', String(o.timeoutMs)];
  if (suite === 'relay') argv.push('--force-relay');
  if (o.noRelay) argv.push('--no-relay');
  return argv;
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

  async pairRound(ctx, suite: PlannedSuite, round) {
    const server = serverOf(ctx);
    const subject = ctx.plan.subject;
    const noRelay = subject.driver === 'agent' && !subject.relay;
    const timeoutMs = pairTimeout(suite);
    const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
    const outcomes = new Map<string, Outcome>();
    await Promise.all(
      names.map(async (name) => {
        const n = node(ctx, name);
        const argv = probeArgv(ctx.binPath(n), name, names.filter((x) => x !== name), server, round, suite.name, { timeoutMs, noRelay });
        const r = await runAsNode(ctx, n, shellJoin(argv), timeoutMs * 3 + 10_000, (line) => ctx.gate.line(name, line));
        outcomes.set(name, r);
        if (r.code !== 0) ctx.log(`probe on ${name} (round ${round}) ${r.error ? `could not run: ${r.error}` : `exited ${r.timedOut ? 'by timeout' : r.code}`}${r.stderrTail ? `: ${r.stderrTail}` : ''}`);
      }),
    );
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
