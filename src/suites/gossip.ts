// gossip: one message from each origin, flooded with a fanout over the relay; every node that
// receives it prints a gossip event (hops, latency), so delivery ratio is counted per message.
import type { FleetNode } from '../providers/types.js';
import type { SuiteContext } from './context.js';

export interface GossipOptions {
  origins: string[];
  fanout: number;
  durationMs: number;
  roundBase: number;
}

export async function runGossipSuite(ctx: SuiteContext, o: GossipOptions): Promise<void> {
  const names = ctx.fleet.nodes.map((n) => n.name);
  const server = `${ctx.server.ip}:${ctx.server.port}`;
  for (const [i, origin] of o.origins.entries()) {
    ctx.signal?.throwIfAborted();
    const msg = `m${o.roundBase + i}-${origin}`;
    await Promise.all(
      ctx.fleet.nodes.map(async (node: FleetNode) => {
        const argv = [ctx.binPath(node), 'gossip', '--name', node.name, '--server', server, '--peers', names.join(','), '--origin', node.name === origin ? 'yes' : 'no', '--msg', msg, '--fanout', String(o.fanout), '--duration-ms', String(o.durationMs)];
        const lines = ctx.events.lineSplitter();
        await ctx.pool.execArgv(node, argv, { asNode: true, timeoutMs: o.durationMs + 15_000, onStdout: (c) => lines.push(c) });
        lines.end();
      }),
    );
    ctx.log(`gossip from ${origin}: done`);
  }
}
