// TEST: every planned suite on the fleet through the subject's driver and the gate; what the
// gate lets through (and what it found) goes into results.jsonl. Reads the Plan only.
import type { Plan } from '../plan/types.js';
import type { SuiteContext } from '../suites/context.js';
import { runPairSuite } from '../suites/pairs.js';
import { runThroughputSuite } from '../suites/throughput.js';
import { runGossipSuite } from '../suites/gossip.js';
import { evidenceReader, type EvidenceReader } from '../suites/evidence.js';
import type { RoundCounters } from '../results/evidence.js';
import { driverFor, type DriverContext, type SubjectDriver } from '../subject/index.js';
import { Gate } from '../results/gate.js';
import { runScenarioSuite, SCENARIO_PREFIX } from '../suites/scenario/index.js';
import { scrapeMetricsStage } from '../metrics/index.js';
import { RoundSessions } from '../lab/round-sessions.js';

/** Suites `run` can execute today; anything else is refused at plan time, never skipped silently. */
export function unsupportedSuites(plan: Plan): string[] {
  const known = new Set(['connectivity', 'nat-traversal', 'relay', 'throughput', 'gossip']);
  return plan.suites.map((s) => s.name).filter((n) => !known.has(n) && !n.startsWith(SCENARIO_PREFIX));
}

/** `checkpoint`: the soak checkpoint this run of the tests is (metrics are scraped under its name). */
export async function testStage(ctx: SuiteContext, plan: Plan, checkpoint = 'test'): Promise<void> {
  const driver = driverFor(plan);
  const relayRoles = new Set(['bootstrap', 'relay']);
  const publicOf = (n: { name: string; publicIp: string }) => ({ name: n.name, publicIp: n.publicIp });
  const gate = new Gate({
    nodes: ctx.fleet.nodes.map((n) => ({ ...publicOf(n), nat: n.nat })),
    relays: ctx.fleet.nodes.filter((n) => relayRoles.has(n.role)).map(publicOf),
    write: (record) => ctx.events.writeEvent(record),
  });
  const dctx: DriverContext = { fleet: ctx.fleet, pool: ctx.pool, plan, binPath: ctx.binPath, server: ctx.server, gate, log: ctx.log, ...(ctx.signal && { signal: ctx.signal }) };
  // On the lab, the reads and flushes between rounds go through long-lived sessions in the
  // machines' namespaces (docs/architecture.md, "Between rounds"), not a process each.
  const sessions = ctx.fleet.provider === 'local' ? new RoundSessions(ctx.fleet) : undefined;
  try {
    await runSuites(ctx, plan, dctx, driver, ctx.readEvidence ? timedReader(ctx.readEvidence) : evidenceReader(ctx.fleet, ctx.pool, ctx.log, sessions), sessions ? () => sessions.flushNat() : ctx.flushNat);
  } finally {
    sessions?.close();
  }
  if (plan.metrics) await scrapeMetricsStage(ctx, plan.metrics, checkpoint);
  if (gate.ignored) ctx.log(`gate: ${gate.ignored} attempts on unplanned pairs the ${driver.name} driver probes anyway were dropped, never counted`);
  const found = Object.entries(gate.findings).filter(([, n]) => n > 0);
  if (found.length) ctx.log(`gate: ${found.map(([k, n]) => `${n} ${k}`).join(', ')} (named in the results)`);
}

async function runSuites(ctx: SuiteContext, plan: Plan, dctx: DriverContext, driver: SubjectDriver, evidence: EvidenceReader, flushNat: () => Promise<void>): Promise<void> {
  const started = performance.now();
  let evidenceWaitMs = 0;
  for (const [index, suite] of plan.suites.entries()) {
    const roundBase = (index + 1) * 10_000;
    if (suite.pairs.length) {
      const suiteStarted = performance.now();
      const summary = await runPairSuite(dctx, suite, { driver, evidence, flushNat, roundBase });
      evidenceWaitMs += summary.evidenceWaitMs;
      const roundsMs = performance.now() - suiteStarted - summary.betweenMs;
      ctx.log(`${suite.name}: ${summary.attempts} attempts in ${summary.rounds} rounds (${(roundsMs / 1000).toFixed(2)} s in rounds, ${(summary.betweenMs / 1000).toFixed(2)} s between them)`);
    } else if (suite.name === 'throughput' && plan.throughput) {
      await runThroughputSuite(dctx, driver, plan.throughput.seconds, plan.throughput.pairs);
    } else if (suite.name === 'gossip' && plan.gossip) {
      await runGossipSuite(dctx, driver, { origins: plan.gossip.origins, durationMs: plan.gossip.durationMs, roundBase });
    } else if (suite.name.startsWith(SCENARIO_PREFIX)) {
      await runScenarioSuite(ctx, plan, suite.name);
    } else {
      throw new Error(`suite ${suite.name} cannot run yet`);
    }
  }
  if (evidence.stats.reads) {
    const total = performance.now() - started;
    ctx.log(`path evidence: ${evidence.stats.reads} reads of ${ctx.fleet.nodes.length} machines' counters (${(evidence.stats.ms / 1000).toFixed(2)} s, beside the NAT flushes); the rounds waited ${(evidenceWaitMs / 1000).toFixed(2)} s for them, of ${(total / 1000).toFixed(1)} s in the test stage`);
  }
}

/** A provider's own counters read (over SSH), counted like the lab's reader. */
function timedReader(read: () => Promise<RoundCounters>): EvidenceReader {
  const stats = { reads: 0, ms: 0 };
  const timed = async () => {
    const started = performance.now();
    try {
      return await read();
    } finally {
      stats.reads++;
      stats.ms += performance.now() - started;
    }
  };
  return Object.assign(timed, { stats });
}
