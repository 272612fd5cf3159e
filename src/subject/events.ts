// The `events` driver (docs/architecture.md, "Subject drivers"): the user's harness prints
// result events itself. Each round its command runs on every node of the suite at once (like
// the agent's probe); what it prints goes through the gate, attributed to the node it ran on.
import type { PlannedSuite } from '../plan/types.js';
import type { Outcome } from '../results/gate.js';
import { runAsNode } from './run.js';
import { expandFor } from './templates.js';
import type { DriverContext, SubjectDriver } from './types.js';
import { measureGossip, measureThroughput } from './measure.js';

export async function eventsPairRound(ctx: DriverContext, suite: PlannedSuite, round: number): Promise<Map<string, Outcome>> {
  const s = ctx.plan.subject;
  const run = s.driver === 'agent' ? undefined : s.events?.run;
  if (!run) throw new Error(`suite ${suite.name} needs subject.events.run`);
  const timeoutMs = suite.timeoutMs ?? 3000;
  const names = [...new Set(suite.pairs.flatMap((p) => [p.from, p.to]))];
  const outcomes = new Map<string, Outcome>();
  await Promise.all(
    names.map(async (name) => {
      const node = ctx.fleet.nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node named ${name} in the fleet`);
      const peers = suite.pairs.filter((p) => p.from === name).map((p) => p.to);
      const command = expandFor(ctx, node, run, { round: String(round), timeout_ms: String(timeoutMs), suite: suite.name, peer_names: peers.join(',') });
      outcomes.set(name, await runAsNode(ctx, node, command, timeoutMs * 3 + 10_000, (line) => ctx.gate.line(name, line)));
    }),
  );
  return outcomes;
}

export const eventsDriver: SubjectDriver = {
  name: 'events',
  process: { pairs: 'events command', throughput: 'throughput command', gossip: 'publish command' },
  pathFromEvidence: false,
  pairRound: eventsPairRound,
  throughputPair: measureThroughput,
  gossip: measureGossip,
};
