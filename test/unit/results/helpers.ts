// Builders for results tests: events, small plans, aggregates.
import type { NatType, PathKind } from '../../../src/config/model.js';
import type { Plan } from '../../../src/plan/types.js';
import { Aggregator } from '../../../src/results/aggregate.js';
import type { AttemptEvent, ResultEvent } from '../../../src/results/events.js';
import { expectedPath } from '../../../src/results/oracle.js';

export function attempt(from: string, to: string, path: PathKind, ok: boolean, extra: Partial<AttemptEvent> = {}): AttemptEvent {
  return { v: 1, type: 'attempt', suite: 'connectivity', from, to, path, ok, ...extra };
}

/** n attempts of which `okCount` succeed on `path`; the rest fail on `failPath` (default: same path). */
export function attempts(from: string, to: string, path: PathKind, n: number, okCount: number, failPath: PathKind = path): AttemptEvent[] {
  return Array.from({ length: n }, (_, i) => (i < okCount ? attempt(from, to, path, true, { rtt_ms: 1 + i }) : attempt(from, to, failPath, false, { error: 'timeout' })));
}

export function aggregateOf(events: readonly ResultEvent[]): Aggregator {
  const agg = new Aggregator();
  for (const e of events) agg.add(e);
  return agg;
}

export function planOf(nodes: [string, NatType][], thresholds: Record<string, number> = {}, extra: Partial<Plan> = {}): Plan {
  const planned = nodes.map(([name, nat]) => ({ name, nat, role: 'peer' as const, arch: 'x86_64' as const }));
  const pairs = planned.flatMap((f) => planned.filter((t) => t !== f).map((t) => ({ from: f.name, to: t.name, expectedPath: expectedPath(f.nat, t.nat) })));
  return {
    choices: { project: 'demo', focus: 'connectivity', criteria: 'threshold', proof: 'logs' },
    provider: 'local',
    nodes: planned,
    suites: [{ name: 'connectivity', trials: 10, pairs }],
    thresholds,
    minAttempts: 10,
    regressionTolerance: 0,
    binary: { kind: 'agent', description: 'agent', targets: [] },
    build: { kind: 'agent', arches: ['x86_64'] },
    subject: { driver: 'agent', port: 9000, relay: true },
    estimate: { nodeMinutes: 0 },
    ...extra,
  };
}
