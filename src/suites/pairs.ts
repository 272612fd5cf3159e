// connectivity / nat-traversal / relay: every ordered pair, `trials` rounds. In a round every
// node runs one probe process at the same time (each pair needs both ends active for the
// punch); between rounds the NAT tables are flushed so each trial starts from nothing.
import type { FleetNode } from '../providers/types.js';
import type { PlannedSuite } from '../plan/types.js';
import { nodeByName, type SuiteContext } from './context.js';

export interface PairSuiteOptions {
  timeoutMs: number;
  /** Numbers rounds uniquely across suites, so a late packet never matches another suite's session. */
  roundBase: number;
  noRelay?: boolean;
}

export interface PairSuiteSummary {
  rounds: number;
  attempts: number;
  missing: number;
}

/** The probe command line for one node in one round. */
export function probeArgv(bin: string, node: string, peers: string[], server: string, round: number, suite: string, o: PairSuiteOptions): string[] {
  const argv = [bin, 'probe', '--name', node, '--server', server, '--peers', peers.join(','), '--round', String(round), '--suite', suite, '--timeout-ms', String(o.timeoutMs)];
  if (suite === 'relay') argv.push('--force-relay');
  if (o.noRelay) argv.push('--no-relay');
  return argv;
}

export async function runPairSuite(ctx: SuiteContext, suite: PlannedSuite, o: PairSuiteOptions): Promise<PairSuiteSummary> {
  const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
  const nodes = names.map((n) => nodeByName(ctx.fleet, n));
  const server = `${ctx.server.ip}:${ctx.server.port}`;
  let attempts = 0;
  let missing = 0;
  for (let trial = 1; trial <= suite.trials; trial++) {
    ctx.signal?.throwIfAborted();
    await ctx.flushNat();
    const round = o.roundBase + trial;
    const seen = new Set<string>();
    // allSettled: one node's failure must not leave the others' probes running unobserved.
    const settled = await Promise.allSettled(nodes.map((node) => probeNode(ctx, node, names, server, round, suite, o, seen)));
    ctx.signal?.throwIfAborted();
    const failures = new Map<string, string>();
    settled.forEach((s, i) => {
      if (s.status === 'rejected') failures.set((nodes[i] as FleetNode).name, (s.reason as Error).message);
    });
    for (const [node, message] of failures) ctx.log(`probe on ${node} (round ${trial}) failed: ${message}`);
    // A pair whose initiator printed nothing still counts: as a failed attempt, with the reason.
    for (const pair of suite.pairs) {
      if (seen.has(`${pair.from}>${pair.to}`)) continue;
      missing++;
      const why = failures.get(pair.from) ?? `no result from ${pair.from}'s probe`;
      ctx.events.writeEvent({ v: 1, type: 'attempt', suite: suite.name, from: pair.from, to: pair.to, path: pair.expectedPath, ok: false, error: `${why} (round ${trial})`, trial: round });
    }
    attempts += suite.pairs.length;
    ctx.log(`${suite.name}: round ${trial}/${suite.trials} done`);
  }
  return { rounds: suite.trials, attempts, missing };
}

async function probeNode(ctx: SuiteContext, node: FleetNode, names: string[], server: string, round: number, suite: PlannedSuite, o: PairSuiteOptions, seen: Set<string>): Promise<void> {
  const peers = names.filter((n) => n !== node.name);
  const argv = probeArgv(ctx.binPath(node), node.name, peers, server, round, suite.name, o);
  const lines = ctx.events.lineSplitter((line) => {
    ctx.events.write(line);
    const pair = pairOf(line);
    if (pair) seen.add(pair);
  });
  let stderr = '';
  const result = await ctx.pool.execArgv(node, argv, {
    asNode: true,
    timeoutMs: o.timeoutMs * 3 + 10_000,
    onStdout: (chunk) => lines.push(chunk),
    onStderr: (chunk) => (stderr += chunk),
    ...(ctx.signal && { signal: ctx.signal }),
  });
  lines.end();
  if (result.code !== 0) ctx.log(`probe on ${node.name} (round ${round}) exited ${result.timedOut ? 'by timeout' : result.code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

function pairOf(line: string): string | undefined {
  try {
    const e = JSON.parse(line) as { type?: string; from?: string; to?: string };
    return e.type === 'attempt' && e.from && e.to ? `${e.from}>${e.to}` : undefined;
  } catch {
    return undefined;
  }
}
