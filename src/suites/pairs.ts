// connectivity / nat-traversal / relay: every ordered pair, `trials` rounds. A round: flush the
// NAT tables, let the driver attempt every planned pair once, read what the network saw, and
// hand it all to the gate, which turns silence into failed attempts with the reason.
import type { PlannedSuite } from '../plan/types.js';
import type { DriverContext, SubjectDriver } from '../subject/index.js';
import type { EvidenceReader } from './evidence.js';

export interface PairSuiteSummary {
  rounds: number;
  attempts: number;
}

export interface PairSuiteDeps {
  driver: SubjectDriver;
  evidence: EvidenceReader;
  flushNat(): Promise<void>;
  /** Numbers rounds uniquely across suites, so a late packet never matches another suite's session. */
  roundBase: number;
}

export async function runPairSuite(ctx: DriverContext, suite: PlannedSuite, deps: PairSuiteDeps): Promise<PairSuiteSummary> {
  for (let trial = 1; trial <= suite.trials; trial++) {
    ctx.signal?.throwIfAborted();
    await deps.flushNat();
    await deps.evidence(); // what came before this round (deploy, the last round's stragglers) is not its evidence
    const round = deps.roundBase + trial;
    ctx.gate.open({ kind: 'pairs', suite: suite.name, round, pairs: suite.pairs, process: deps.driver.process.pairs, pathFromEvidence: deps.driver.pathFromEvidence });
    const outcomes = await deps.driver.pairRound(ctx, suite, round);
    ctx.signal?.throwIfAborted();
    ctx.gate.close(outcomes, await deps.evidence());
    ctx.log(`${suite.name}: round ${trial}/${suite.trials} done`);
  }
  return { rounds: suite.trials, attempts: suite.trials * suite.pairs.length };
}
