// The `command` driver (docs/architecture.md, "Subject drivers"): vps-test runs the user's own
// commands at the right node and time, and reads the outcome from exit codes and output
// patterns. The program needs to know nothing of vps-test's events.
import type { FleetNode } from '../fleet/types.js';
import { pairTimeout, type PlannedSuite } from '../plan/types.js';
import type { Outcome } from '../results/gate.js';
import type { AttemptEvent } from '../results/events.js';
import { PATHS, type PathKind } from '../config/model.js';
import { lastLine, runAsNode, type RunResult } from './run.js';
import { expandFor, peerValues } from './templates.js';
import type { DriverContext, SubjectDriver } from './types.js';
import { measureGossip, measureThroughput } from './measure.js';

type Connect = NonNullable<Extract<DriverContext['plan']['subject'], { driver: 'command' | 'events' }>['connect']>;

function subjectOf(ctx: DriverContext) {
  const s = ctx.plan.subject;
  if (s.driver === 'agent') throw new Error('command driver used with an agent subject');
  return s;
}

function byName(ctx: DriverContext, name: string): FleetNode {
  const n = ctx.fleet.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`no node named ${name} in the fleet`);
  return n;
}

/** Success, path and rtt of one attempt from the command's exit code and output. */
export function judgeAttempt(c: Connect, r: RunResult, withinMs: number): { ok: boolean; error?: string; path?: PathKind; rtt?: number } {
  if (r.error) return { ok: false, error: `could not run: ${r.error}` };
  if (r.timedOut) return { ok: false, error: `did not finish within ${withinMs} ms` };
  if (r.code !== c.exit) return { ok: false, error: `exited ${r.code ?? 'by a signal'}${r.stderrTail ? `: ${r.stderrTail}` : ''}` };
  let groups: Record<string, string> = {};
  for (const [stream, pattern] of [['stdout', c.stdout], ['stderr', c.stderr]] as const) {
    if (pattern === undefined) continue;
    const m = new RegExp(pattern, 'm').exec(r[stream]);
    if (!m) return { ok: false, error: `${stream} did not match /${pattern}/${lastLine(r[stream]) ? ` (last line: ${lastLine(r[stream])})` : ''}` };
    groups = { ...groups, ...m.groups };
  }
  const path = groups.path !== undefined && (PATHS as readonly string[]).includes(groups.path) ? (groups.path as PathKind) : undefined;
  const rtt = groups.rtt_ms !== undefined && Number.isFinite(Number(groups.rtt_ms)) ? Number(groups.rtt_ms) : undefined;
  return { ok: true, ...(path && { path }), ...(rtt !== undefined && { rtt }) };
}

async function connectRound(ctx: DriverContext, suite: PlannedSuite, round: number, c: Connect): Promise<Map<string, Outcome>> {
  const timeoutMs = pairTimeout(suite);
  const within = c.withinMs ?? timeoutMs + 2000;
  const initiators = [...new Set(suite.pairs.map((p) => p.from))];
  // Initiators in parallel, each one's pairs in turn: a node is never asked for two attempts at once.
  await Promise.all(
    initiators.map(async (name) => {
      const from = byName(ctx, name);
      for (const pair of suite.pairs.filter((p) => p.from === name)) {
        const to = byName(ctx, pair.to);
        const command = expandFor(ctx, from, c.run, { ...peerValues(to), round: String(round), timeout_ms: String(timeoutMs), suite: suite.name });
        const r = await runAsNode(ctx, from, command, within);
        const verdict = judgeAttempt(c, r, within);
        const e: AttemptEvent = { v: 1, type: 'attempt', suite: suite.name, from: name, to: pair.to, path: verdict.path ?? pair.expectedPath, ok: verdict.ok, ...(verdict.rtt !== undefined && { rtt_ms: verdict.rtt }), ...(verdict.error !== undefined && { error: verdict.error }) };
        ctx.gate.event(name, e);
      }
    }),
  );
  return new Map();
}

export const commandDriver: SubjectDriver = {
  name: 'command',
  process: { pairs: 'connect command', throughput: 'throughput command', gossip: 'publish command' },
  pathFromEvidence: true,

  pairRound(ctx, suite, round) {
    const c = subjectOf(ctx).connect;
    if (!c) throw new Error(`suite ${suite.name} needs subject.connect.run`);
    return connectRound(ctx, suite, round, c);
  },

  throughputPair: measureThroughput,
  gossip: measureGossip,
};
