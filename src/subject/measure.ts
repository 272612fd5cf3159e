// Throughput and gossip of a user's program (command and events drivers): a throughput command
// whose Mbit/s is read from its output, a publish command and a "received" pattern counted in
// every node's service log (docs/architecture.md, "Subject drivers").
import type { FleetNode } from '../fleet/types.js';
import type { Outcome } from '../results/gate.js';
import { servicePaths } from '../deploy/index.js';
import { shellQuote } from '../ssh/index.js';
import { runAsNode } from './run.js';
import { expandFor, patternWith, peerValues } from './templates.js';
import type { DriverContext } from './types.js';

function subjectOf(ctx: DriverContext) {
  const s = ctx.plan.subject;
  if (s.driver === 'agent') throw new Error('a command/events measurement used with an agent subject');
  return s;
}

/** Mbit/s from the `mbps` pattern's first group, or throughput events on stdout without one. */
export async function measureThroughput(ctx: DriverContext, from: FleetNode, to: FleetNode, seconds: number): Promise<Outcome> {
  const t = subjectOf(ctx).throughput;
  if (!t) throw new Error('suite throughput needs subject.throughput.run');
  const command = expandFor(ctx, from, t.run, { ...peerValues(to), seconds: String(seconds) });
  const mbps = t.mbps;
  const r = await runAsNode(ctx, from, command, seconds * 1000 + 20_000, mbps ? undefined : (line) => ctx.gate.line(from.name, line));
  if (!mbps || r.code !== 0 || r.timedOut || r.error) return r;
  const m = new RegExp(mbps, 'm').exec(r.stdout);
  const value = m?.[1] !== undefined ? Number(m[1]) : NaN;
  if (!Number.isFinite(value) || value < 0) return { ...r, stderrTail: `its output did not match /${mbps}/ with a number in group 1` };
  ctx.gate.event(from.name, { v: 1, type: 'throughput', from: from.name, to: to.name, bytes: Math.round((value * 1e6 * seconds) / 8), seconds, mbps: value });
  return r;
}

/** Publishes on the origin, then watches every node's service log for the received pattern. */
export async function measureGossip(ctx: DriverContext, origin: FleetNode, msg: string, durationMs: number): Promise<Map<string, Outcome>> {
  const g = subjectOf(ctx).gossip;
  if (!g) throw new Error('suite gossip needs subject.gossip');
  const logs = ctx.fleet.nodes.map((n) => ({ node: n, path: servicePaths(n.workdir, 'service').log }));
  // Only what the logs gain after the publish counts: offsets first.
  const offsets = await Promise.all(logs.map(async ({ node, path }) => Number((await ctx.pool.exec(node, `stat -c %s ${shellQuote(path)} 2>/dev/null || echo 0`, { timeoutMs: 10_000 })).stdout.trim()) || 0));
  const pattern = patternWith(g.received, { msg, origin: origin.name });
  const started = Date.now();
  const publish = await runAsNode(ctx, origin, expandFor(ctx, origin, g.publish, { msg, origin: origin.name }), durationMs + 10_000);
  const seen = new Set<string>([origin.name]);
  while (seen.size < logs.length && Date.now() - started < durationMs) {
    await Promise.all(
      logs.map(async ({ node, path }, i) => {
        if (seen.has(node.name)) return;
        const r = await ctx.pool.exec(node, `tail -c +${(offsets[i] ?? 0) + 1} ${shellQuote(path)} 2>/dev/null`, { timeoutMs: 10_000 }).catch(() => undefined);
        if (r && pattern.test(r.stdout)) {
          seen.add(node.name);
          // hops are unknown to a log line; latency is when vps-test first saw it (200 ms polling)
          ctx.gate.event(node.name, { v: 1, type: 'gossip', msg, origin: origin.name, node: node.name, hops: 1, latency_ms: Date.now() - started });
        }
      }),
    );
    if (seen.size < logs.length) await new Promise((res) => setTimeout(res, 200));
  }
  return new Map([[origin.name, publish]]);
}
