// gossip: one message from each origin; every node that receives it is counted, and an origin
// nobody heard is a failure with the reason, never an absent message.
import type { DriverContext, SubjectDriver } from '../subject/index.js';
import { nodeByName } from './context.js';

export interface GossipOptions {
  origins: readonly string[];
  durationMs: number;
  roundBase: number;
}

export async function runGossipSuite(ctx: DriverContext, driver: SubjectDriver, o: GossipOptions): Promise<void> {
  const receivers = ctx.fleet.nodes.map((n) => n.name);
  for (const [i, origin] of o.origins.entries()) {
    ctx.signal?.throwIfAborted();
    const msg = `m${o.roundBase + i}-${origin}`;
    ctx.gate.open({ kind: 'gossip', msg, origin, receivers, process: driver.process.gossip });
    const outcomes = await driver.gossip(ctx, nodeByName(ctx.fleet, origin), msg, o.durationMs);
    ctx.gate.close(outcomes);
    ctx.log(`gossip from ${origin}: done`);
  }
}
