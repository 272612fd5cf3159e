// A soak folded into the run's results: the trend in results.json's `soak`, regressions and
// checkpoints that failed on their own in the verdict, a soak cut short named; the report's
// trend table a row per checkpoint and category; `status` showing the next checkpoint.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/results/evaluate.js';
import { type ResultsJson } from '../../../src/results/schema.js';
import { parseResultsJson } from '../../../src/results/load.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { soakSection } from '../../../src/report/sections.js';
import { foldSoak } from '../../../src/soak/index.js';
import { renderStatusTable, runStatus } from '../../../src/run/status.js';
import { RunStateFile } from '../../../src/run/state.js';
import { aggregateOf, attempts, planOf } from '../results/helpers.js';

const plan = planOf([['pub', 'none'], ['fc', 'full-cone'], ['pr', 'port-restricted']], { direct: 99, nat_traversed: 50 }, { regressionTolerance: 5 });

/** A checkpoint's results; `broken` pairs (from->to) punch only 4 of 10 times. */
function results(at: string, broken: string[] = []): ResultsJson {
  const events = plan.suites[0]!.pairs.flatMap((p) => attempts(p.from, p.to, p.expectedPath, 10, broken.includes(`${p.from}->${p.to}`) ? 4 : 10));
  return evaluate({ plan, aggregate: aggregateOf(events), generatedAt: at });
}

describe('a soak folded into the results', () => {
  it('steady checkpoints pass with the trend of every checkpoint, written and read back', () => {
    const folded = foldSoak({ first: results('t0'), checkpoints: [{ checkpoint: '1h', results: results('t1') }, { checkpoint: '6h', results: results('t6') }], planned: ['1h', '6h'], tolerance: 5 });
    expect(folded.verdict, folded.reasons.join('\n')).toBe('pass');
    expect(folded.reasons.join('\n')).toMatch(/soak: 2 checkpoints \(1h, 6h\) within 5 points of the first test/);
    expect(folded.soak?.map((s) => s.checkpoint)).toEqual(['start', '1h', '6h']);
    expect(folded.soak?.[2]?.trend?.nat_traversed).toEqual({ vs_first: 0, vs_baseline: null, regressed: false });
    const back = parseResultsJson(renderResultsJson(folded), 'results.json');
    expect(back.soak?.[2]?.trend?.nat_traversed).toEqual({ vs_first: 0, vs_baseline: null, regressed: false });
    const section = soakSection(back);
    expect(section).toContain('### Soak trend (tolerance 5 points)');
    expect(section).toContain('| 6h | t6 | nat_traversed | 100.0% | 0.0 | — |  |');
    expect(section).toContain('| start | t0 | direct | 100.0% | 0.0 | — |  |');
  });

  it('a regression at a checkpoint fails naming the checkpoint and the pairs; the first test vs the baseline is not judged twice', () => {
    const baseline = results('base');
    const first = evaluate({ plan, aggregate: aggregateOf(plan.suites[0]!.pairs.flatMap((p) => attempts(p.from, p.to, p.expectedPath, 10, 10))), generatedAt: 't0', baseline });
    const folded = foldSoak({ first, checkpoints: [{ checkpoint: '1h', results: results('t1', ['fc->pr', 'pr->fc']) }], planned: ['1h'], tolerance: 5, baseline });
    expect(folded.verdict).toBe('fail');
    expect(folded.reasons[0]).toBe('soak: nat_traversed regressed 30 points at checkpoint 1h vs the first checkpoint (start) (100% -> 70%, tolerance 5); pairs: fc->pr, pr->fc');
    expect(folded.reasons.filter((r) => r.includes('vs the baseline') && r.includes('checkpoint start'))).toEqual([]);
    expect(folded.reasons.some((r) => /at checkpoint 1h vs the baseline/.test(r))).toBe(true);
    expect(folded.soak?.[1]?.trend?.nat_traversed?.regressed).toBe(true);
    expect(soakSection(folded)).toMatch(/\| 1h \| t1 \| nat_traversed \| 70\.0% \| -30\.0 \| -30\.0 \| ❌ regressed \|/);
  });

  it('a checkpoint that fails on its own fails the soak even within the tolerance', () => {
    const strict = planOf([['pub', 'none'], ['fc', 'full-cone'], ['pr', 'port-restricted']], { nat_traversed: 90 });
    const at = (broken: string[]) => evaluate({ plan: strict, aggregate: aggregateOf(strict.suites[0]!.pairs.flatMap((p) => attempts(p.from, p.to, p.expectedPath, 10, broken.includes(`${p.from}->${p.to}`) ? 4 : 10))), generatedAt: 't' });
    const folded = foldSoak({ first: at([]), checkpoints: [{ checkpoint: '1h', results: at(['fc->pr', 'pr->fc']) }], planned: ['1h'], tolerance: 70 });
    expect(folded.verdict).toBe('fail');
    expect(folded.reasons.join('\n')).toMatch(/soak: checkpoint 1h failed: /);
    expect(folded.reasons.join('\n')).not.toMatch(/regressed/);
  });

  it('a soak cut short degrades, naming the checkpoints not run and why', () => {
    const folded = foldSoak({ first: results('t0'), checkpoints: [{ checkpoint: '1h', results: results('t1') }], planned: ['1h', '6h', '12h'], tolerance: 5, cutShort: 'stopped by vps-test stop while waiting for checkpoint 6h' });
    expect(folded.verdict).toBe('degraded');
    expect(folded.reasons).toContain('soak: checkpoints 6h, 12h not run (stopped by vps-test stop while waiting for checkpoint 6h)');
    expect(folded.soak?.map((s) => s.checkpoint)).toEqual(['start', '1h']);
  });
});

describe('a node unreachable at a checkpoint', () => {
  it('a drop only on its pairs is named as the unreachable node, not as a regression; a drop on other pairs still is one', () => {
    const gone = (r: ResultsJson): ResultsJson => ({ ...r, nodes: [{ name: 'fc', role: 'peer', nat: 'full-cone', status: 'unreachable' }, { name: 'pub', role: 'peer', nat: 'none', status: 'ok' }, { name: 'pr', role: 'peer', nat: 'port-restricted', status: 'ok' }] });
    const onlyFc = foldSoak({ first: results('t0'), checkpoints: [{ checkpoint: '1h', results: gone(results('t1', ['fc->pr', 'pr->fc'])) }], planned: ['1h'], tolerance: 5 });
    expect(onlyFc.reasons.filter((r) => r.includes('regressed'))).toEqual([]);
    expect(onlyFc.reasons).toContain('soak: at checkpoint 1h nat_traversed, full-cone->port-restricted, port-restricted->full-cone dropped only on pairs of unreachable fc (judged as unreachable, not as a regression)');
    expect(onlyFc.soak?.[1]?.trend?.nat_traversed?.regressed).toBe(false);
    const alsoOthers = foldSoak({ first: results('t0'), checkpoints: [{ checkpoint: '1h', results: gone(results('t1', ['fc->pr', 'pr->pub'])) }], planned: ['1h'], tolerance: 5 });
    expect(alsoOthers.verdict).toBe('fail');
    expect(alsoOthers.reasons.join('\n')).toMatch(/soak: direct regressed 30 points at checkpoint 1h .*pairs: pr->pub/);
  });
});

describe('status during a soak', () => {
  it('shows the next checkpoint and when it is due, only while the fleet is up', () => {
    const run = new RunStateFile('/nonexistent-soak-status', {
      runId: 'sk1', createdAt: new Date().toISOString(), configPath: 'c', project: 'p', provider: 'local', keep: false, fleetUp: true, stages: [],
      soak: { since: '2026-01-01T00:00:00.000Z', checkpoints: [{ name: '1h', dueAt: '2026-01-01T01:00:00.000Z', status: 'pending' }], next: { checkpoint: '1h', dueAt: '2026-01-01T01:00:00.000Z' } },
    });
    const status = runStatus(run, Date.now(), () => 'alive');
    expect(status.nextCheckpoint).toEqual({ checkpoint: '1h', dueAt: '2026-01-01T01:00:00.000Z' });
    expect(renderStatusTable([status])).toContain('soak (checkpoint 1h at 2026-01-01T01:00:00.000Z)');
    run.state.fleetUp = false;
    expect(runStatus(run, Date.now(), () => 'dead').nextCheckpoint).toBeUndefined();
  });
});
