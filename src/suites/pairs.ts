// connectivity / nat-traversal / relay: every ordered pair, `trials` rounds. A round: flush the
// NAT tables, let the driver attempt every planned pair once, read what the network saw, and
// hand it all to the gate, which turns silence into failed attempts with the reason.
import type { PlannedSuite } from '../plan/types.js';
import type { DriverContext, SubjectDriver } from '../subject/index.js';
import type { EvidenceReader } from './evidence.js';
import { unreachableNodes } from './unreachable.js';

export interface PairSuiteSummary {
  rounds: number;
  attempts: number;
  /** how much longer the rounds waited for the evidence than for the NAT flush beside it */
  evidenceWaitMs: number;
  /** time between rounds (flush and read side by side, the first before round 1 included) */
  betweenMs: number;
}

export interface PairSuiteDeps {
  driver: SubjectDriver;
  evidence: EvidenceReader;
  flushNat(): Promise<void>;
  /** Numbers rounds uniquely across suites, so a late packet never matches another suite's session. */
  roundBase: number;
}

export async function runPairSuite(ctx: DriverContext, suite: PlannedSuite, deps: PairSuiteDeps): Promise<PairSuiteSummary> {
  // Between rounds the NAT tables are flushed and the counters read, both at once; a read counts
  // from the previous one, so what came before the first round (the deploy) is no round's.
  let evidenceWaitMs = 0;
  let betweenMs = 0;
  /** flush and read side by side; what the read costs is how long it outlasts the flush */
  const between = async (flush: boolean) => {
    const started = performance.now();
    let flushedAt = started;
    const [, counters] = await Promise.all([flush ? deps.flushNat().then(() => (flushedAt = performance.now())) : undefined, deps.evidence()]);
    evidenceWaitMs += performance.now() - flushedAt;
    betweenMs += performance.now() - started;
    return counters;
  };
  await between(true);
  const byproducts = deps.driver.byproducts?.(suite) ?? [];
  for (let trial = 1; trial <= suite.trials; trial++) {
    ctx.signal?.throwIfAborted();
    const round = deps.roundBase + trial;
    const when = `round ${trial} of ${suite.name}`;
    // a pair with an unreachable end is never probed again; the gate fails it with the reason
    const down = unreachableNodes(ctx, when);
    const live = suite.pairs.filter((p) => !down.has(p.from) && !down.has(p.to));
    ctx.gate.open({ kind: 'pairs', suite: suite.name, round, pairs: suite.pairs, process: deps.driver.process.pairs, pathFromEvidence: deps.driver.pathFromEvidence, requireIds: !deps.driver.pathFromEvidence, byproducts });
    const outcomes = live.length ? await deps.driver.pairRound(ctx, live.length === suite.pairs.length ? suite : { ...suite, pairs: live }, round) : new Map<string, never>();
    ctx.signal?.throwIfAborted();
    const counters = await between(trial < suite.trials);
    unreachableNodes(ctx, when);
    ctx.gate.close(outcomes, counters);
    ctx.log(`${suite.name}: round ${trial}/${suite.trials} done`);
  }
  return { rounds: suite.trials, attempts: suite.trials * suite.pairs.length, evidenceWaitMs, betweenMs };
}
