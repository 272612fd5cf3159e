// TEST: every planned suite on the fleet, events into results.jsonl.
import type { Config } from '../config/schema.js';
import type { Plan } from '../plan/types.js';
import type { SuiteContext } from '../suites/context.js';
import { runPairSuite } from '../suites/pairs.js';
import { runThroughputSuite, throughputPairs } from '../suites/throughput.js';
import { runGossipSuite } from '../suites/gossip.js';
import { runScenarioSuite, SCENARIO_PREFIX } from '../suites/scenario/index.js';
import { scrapeMetricsStage } from '../metrics/index.js';

/** Suites `run` can execute today; anything else is refused at plan time, never skipped silently. */
export function unsupportedSuites(plan: Plan): string[] {
  const known = new Set(['connectivity', 'nat-traversal', 'relay', 'throughput', 'gossip']);
  return plan.suites.map((s) => s.name).filter((n) => !known.has(n) && !n.startsWith(SCENARIO_PREFIX));
}

export async function testStage(ctx: SuiteContext, config: Config, plan: Plan): Promise<void> {
  for (const [index, suite] of plan.suites.entries()) {
    const roundBase = (index + 1) * 10_000;
    if (suite.pairs.length) {
      if (!ctx.server.ip) throw new Error(`suite ${suite.name} needs a rendezvous server (a bootstrap node running the agent)`);
      const cfg = config.tests[suite.name as 'connectivity' | 'nat-traversal' | 'relay'];
      const summary = await runPairSuite(ctx, suite, { timeoutMs: cfg?.timeout ?? 3000, roundBase, noRelay: !config.agent.relay });
      ctx.log(`${suite.name}: ${summary.attempts} attempts in ${summary.rounds} rounds${summary.missing ? `, ${summary.missing} without a result from their probe` : ''}`);
    } else if (suite.name === 'throughput') {
      const t = config.tests.throughput;
      await runThroughputSuite(ctx, t?.seconds ?? 10, throughputPairs(ctx.fleet.nodes, t?.pairs ?? 'sample'));
    } else if (suite.name === 'gossip') {
      const g = config.tests.gossip;
      const origins = !g || g.origins === 'all' ? ctx.fleet.nodes.map((n) => n.name) : g.origins;
      await runGossipSuite(ctx, { origins, fanout: g?.fanout ?? 3, durationMs: 5000, roundBase });
    } else if (suite.name.startsWith(SCENARIO_PREFIX)) {
      await runScenarioSuite(ctx, config, suite.name);
    } else {
      throw new Error(`suite ${suite.name} cannot run yet`);
    }
  }
  if (config.metrics) await scrapeMetricsStage(ctx, config.metrics, 'test');
}
