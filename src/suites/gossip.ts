// gossip: one message from each origin; every node that receives it is counted, and an origin
// nobody heard is a failure with the reason, never an absent message.
import type { DriverContext, SubjectDriver } from '../subject/index.js';
import { nodeByName } from './context.js';
import { reachableOnly, unreachableNodes } from './unreachable.js';

export interface GossipOptions {
  origins: readonly string[];
  durationMs: number;
  roundBase: number;
}

export async function runGossipSuite(ctx: DriverContext, driver: SubjectDriver, o: GossipOptions): Promise<void> {
  for (const [i, origin] of o.origins.entries()) {
    ctx.signal?.throwIfAborted();
    const msg = `m${o.roundBase + i}-${origin}`;
    const down = unreachableNodes(ctx, `gossip from ${origin}`);
    const live = reachableOnly(ctx, down);
    ctx.gate.open({ kind: 'gossip', msg, origin, receivers: live.fleet.nodes.map((n) => n.name), process: driver.process.gossip });
    if (down.has(origin)) {
      ctx.gate.close(new Map()); // failed by the gate with the origin's unreachable reason
      ctx.log(`gossip from ${origin}: skipped, the node is unreachable`);
      continue;
    }
    const outcomes = await driver.gossip(live, nodeByName(ctx.fleet, origin), msg, o.durationMs);
    unreachableNodes(ctx, `gossip from ${origin}`);
    ctx.gate.close(outcomes);
    ctx.log(`gossip from ${origin}: done`);
  }
}
