// TEST: every planned suite on the fleet through the subject's driver and the gate; what the
// gate lets through (and what it found) goes into results.jsonl. Reads the Plan only.
import type { Plan } from '../plan/types.js';
import type { SuiteContext } from '../suites/context.js';
import { runPairSuite } from '../suites/pairs.js';
import { runThroughputSuite } from '../suites/throughput.js';
import { runGossipSuite } from '../suites/gossip.js';
import { evidenceReader } from '../suites/evidence.js';
import { driverFor, type DriverContext } from '../subject/index.js';
import { Gate } from '../results/gate.js';
import { runScenarioSuite, SCENARIO_PREFIX } from '../suites/scenario/index.js';
import { scrapeMetricsStage } from '../metrics/index.js';

/** Suites `run` can execute today; anything else is refused at plan time, never skipped silently. */
export function unsupportedSuites(plan: Plan): string[] {
  const known = new Set(['connectivity', 'nat-traversal', 'relay', 'throughput', 'gossip']);
  return plan.suites.map((s) => s.name).filter((n) => !known.has(n) && !n.startsWith(SCENARIO_PREFIX));
}

export async function testStage(ctx: SuiteContext, plan: Plan): Promise<void> {
  const driver = driverFor(plan);
  const relayRoles = new Set(['bootstrap', 'relay']);
  const publicOf = (n: { name: string; publicIp: string }) => ({ name: n.name, publicIp: n.publicIp });
  const gate = new Gate({
    nodes: ctx.fleet.nodes.map((n) => ({ ...publicOf(n), nat: n.nat })),
    relays: ctx.fleet.nodes.filter((n) => relayRoles.has(n.role)).map(publicOf),
    write: (record) => ctx.events.writeEvent(record),
  });
  const dctx: DriverContext = { fleet: ctx.fleet, pool: ctx.pool, plan, binPath: ctx.binPath, server: ctx.server, gate, log: ctx.log, ...(ctx.signal && { signal: ctx.signal }) };
  const evidence = evidenceReader(ctx.fleet, ctx.pool, ctx.log);
  for (const [index, suite] of plan.suites.entries()) {
    const roundBase = (index + 1) * 10_000;
    if (suite.pairs.length) {
      const summary = await runPairSuite(dctx, suite, { driver, evidence, flushNat: ctx.flushNat, roundBase });
      ctx.log(`${suite.name}: ${summary.attempts} attempts in ${summary.rounds} rounds`);
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
  if (plan.metrics) await scrapeMetricsStage(ctx, plan.metrics, 'test');
  const found = Object.entries(gate.findings).filter(([, n]) => n > 0);
  if (found.length) ctx.log(`gate: ${found.map(([k, n]) => `${n} ${k}`).join(', ')} (named in the results)`);
}
