// Nodes the suites no longer send work to (docs/architecture.md, "Unreachable nodes"): those the
// provider never reached and those the SSH pool gave up on. The gate keeps the first reason and
// records every pair, throughput or message of theirs as failed with it, so a dead node costs
// nothing more than the round it died in.
import type { DriverContext } from '../subject/index.js';

/** Notes newly unreachable nodes as of `when` ("round 3 of connectivity") and returns all of them. */
export function unreachableNodes(ctx: DriverContext, when: string): Set<string> {
  for (const u of ctx.fleet.unreachable ?? []) ctx.gate.markUnreachable(u.name, `node ${u.name} unreachable since provisioning (${u.reason})`);
  for (const u of ctx.pool.unreachableNodes()) ctx.gate.markUnreachable(u.node, `node ${u.node} unreachable since ${when}`);
  return ctx.gate.unreachableNodes();
}

/** The context with only the nodes still answering (for drivers that reach every node). */
export function reachableOnly(ctx: DriverContext, down: ReadonlySet<string>): DriverContext {
  return down.size ? { ...ctx, fleet: { ...ctx.fleet, nodes: ctx.fleet.nodes.filter((n) => !down.has(n.name)) } } : ctx;
}
