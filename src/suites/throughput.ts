// throughput: the planned pairs one at a time (so pairs don't share the link), each through the
// gate: a pair that measured nothing is listed as a failure with the reason, never left out.
import type { DriverContext, SubjectDriver } from '../subject/index.js';
import { nodeByName } from './context.js';
import { unreachableNodes } from './unreachable.js';

export async function runThroughputSuite(ctx: DriverContext, driver: SubjectDriver, seconds: number, pairs: readonly [string, string][]): Promise<void> {
  const gone = unreachableNodes(ctx, 'the throughput suite');
  const targets = [...new Set(pairs.map(([, b]) => b))].filter((n) => !gone.has(n)).map((n) => nodeByName(ctx.fleet, n));
  const cleanup = driver.prepareThroughput ? await driver.prepareThroughput(ctx, targets) : async () => undefined;
  try {
    for (const [a, b] of pairs) {
      ctx.signal?.throwIfAborted();
      const down = unreachableNodes(ctx, `throughput ${a}->${b}`);
      ctx.gate.open({ kind: 'throughput', from: a, to: b, process: driver.process.throughput });
      if (down.has(a) || down.has(b)) {
        ctx.gate.close(new Map()); // failed by the gate with the unreachable node's reason
        ctx.log(`throughput ${a} -> ${b}: skipped, node ${down.has(a) ? a : b} is unreachable`);
        continue;
      }
      const outcome = await driver.throughputPair(ctx, nodeByName(ctx.fleet, a), nodeByName(ctx.fleet, b), seconds);
      unreachableNodes(ctx, `throughput ${a}->${b}`);
      ctx.gate.close(new Map([[a, outcome]]));
      ctx.log(`throughput ${a} -> ${b}: ${outcome.code === 0 && !outcome.timedOut ? 'done' : `failed (${outcome.error ?? outcome.stderrTail ?? `exit ${outcome.code}`})`}`);
    }
  } finally {
    await cleanup();
  }
}
