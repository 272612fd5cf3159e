// vps-test report: result events (JSONL) -> report.md, results.json, junit.xml, proof and a
// journal entry. Exit code: 0 pass/degraded, 1 fail, 2 error (or bad input).
import { join } from 'node:path';
import { NAT_TYPES } from '../../config/model.js';
import type { Plan } from '../../plan/types.js';
import { aggregateSources, type EventSource } from '../../results/collect.js';
import { evaluate, soakCheckpointOf } from '../../results/evaluate.js';
import { type ResultsJson, type Verdict } from '../../results/schema.js';
import { loadResultsJson } from '../../results/load.js';
import type { ArtifactLink } from '../../report/sections.js';
import { writeReportSet } from '../../report/bundle.js';
import { keyValues, parseFlags, UsageError } from '../args.js';
import { CHOICE_FLAGS, CHOICE_HELP, choicesFromFlags } from '../choices.js';

const HELP = `Usage: vps-test report --results FILE.jsonl [options]

Reads result events (one JSON object per line; "-" reads stdin), judges them against the
criteria and a baseline, and writes report.md, results.json, junit.xml, proof-<time>.md and
journal.md (the journal entry) into --out. Exit code 0 pass or degraded, 1 fail, 2 error.

Without --config, nodes are inferred from the events (NAT types unknown: each attempt counts
under the path it names) and only the criteria given as flags are judged.

Options:
  --results FILE         result events, JSONL (repeatable; "-" = stdin)
  --config FILE          .vps-test.yml: nodes, NAT types, expected paths and criteria
${CHOICE_HELP}
  --baseline FILE        results.json of the previous run on the base branch
  --out DIR              output directory (default .vps-test/report)
  --branch B             branch for the journal (default $GITHUB_HEAD_REF / $GITHUB_REF_NAME)
  --pr N                 pull request number for the journal and proof
  --threshold CAT=PCT    pass-rate threshold, e.g. direct=99, nat_traversed=85, relay=100,
                         full-cone->symmetric=90 (repeatable; over the config's)
  --min-attempts N       attempts a category needs before it is judged (default 10)
  --regression-tolerance PTS  allowed drop vs baseline, in points (default 0)
  --min-mbps N           minimum mean throughput per pair
  --min-delivery PCT     minimum gossip delivery per message
  --max-loss PCT         highest mean loss per throughput pair, in percent (a pair
                         that reports no loss cannot be judged: the run is at best degraded)
  --max-gossip-p95 MS    bound on the gossip delivery latency p95 (all messages pooled)
  --unreachable NODE     a node that could not be reached (repeatable)
  --stage-error TEXT     an earlier stage failed: verdict error with this reason
  --soak FILE            results.json of an earlier soak checkpoint (repeatable, in order)
  --artifact NAME=URL    link shown in the report (repeatable)
  --fix-commit SHA       commit named in the proof (repeatable)
  --journal FILE         also insert the journal entry into this journal (latest on top)
  --run-id ID            run id recorded in results.json
  --now ISO              time of the report (default: now)
  -h, --help             this help`;

const FLAGS = {
  ...CHOICE_FLAGS,
  results: { type: 'string', multiple: true },
  config: { type: 'string' },
  baseline: { type: 'string' },
  out: { type: 'string' },
  branch: { type: 'string' },
  pr: { type: 'string' },
  threshold: { type: 'string', multiple: true },
  'min-attempts': { type: 'string' },
  'regression-tolerance': { type: 'string' },
  'min-mbps': { type: 'string' },
  'min-delivery': { type: 'string' },
  'max-loss': { type: 'string' },
  'max-gossip-p95': { type: 'string' },
  unreachable: { type: 'string', multiple: true },
  'stage-error': { type: 'string' },
  soak: { type: 'string', multiple: true },
  artifact: { type: 'string', multiple: true },
  'fix-commit': { type: 'string', multiple: true },
  journal: { type: 'string' },
  'run-id': { type: 'string' },
  now: { type: 'string' },
} as const;

const CATEGORY_NAME = new RegExp(`^(direct|nat_traversed|relay|(${NAT_TYPES.join('|')})->(${NAT_TYPES.join('|')}))$`);

function number(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${flag} ${text}: expected a number from ${min} to ${max}`);
  return n;
}

function thresholdsFrom(values: string[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(keyValues(values, 'threshold'))) {
    if (!CATEGORY_NAME.test(name)) throw new UsageError(`--threshold ${name}=${value}: categories are direct, nat_traversed, relay or a NAT pair such as full-cone->symmetric`);
    const n = Number(value.replace(/%$/, ''));
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw new UsageError(`--threshold ${name}=${value}: expected a percentage from 0 to 100`);
    out[name] = n;
  }
  return out;
}

async function planFrom(values: Record<string, unknown>): Promise<Plan | undefined> {
  if (typeof values.config !== 'string') return undefined;
  const [{ loadConfig }, { buildPlan }, { resolveChoices }] = await Promise.all([import('../../config/load.js'), import('../../plan/plan.js'), import('../../plan/choices.js')]);
  const loaded = await loadConfig(values.config);
  return buildPlan(loaded.config, await resolveChoices(choicesFromFlags(values), loaded.project));
}

const EXIT: Record<Verdict, number> = { pass: 0, degraded: 0, fail: 1, error: 2 };

export async function reportCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, FLAGS, 'report');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.results?.length) throw new UsageError('report: --results FILE.jsonl is required (see vps-test report --help)');
  const now = values.now !== undefined ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new UsageError(`--now ${values.now}: expected an ISO time such as 2025-01-02T03:04:05Z`);
  const pr = number('pr', values.pr, 1, Number.MAX_SAFE_INTEGER);
  const thresholds = thresholdsFrom(values.threshold);
  const plan = await planFrom(values);
  const baseline = values.baseline !== undefined ? await loadResultsJson(values.baseline) : undefined;
  const soak: ResultsJson[] = [];
  for (const file of values.soak ?? []) soak.push(await loadResultsJson(file));
  const artifacts: ArtifactLink[] = Object.entries(keyValues(values.artifact, 'artifact')).map(([name, url]) => ({ name, url }));

  const sources: EventSource[] = values.results.map((f) => (f === '-' ? { stream: process.stdin, source: 'stdin' } : f));
  const aggregate = await aggregateSources(sources);
  const results = evaluate({
    aggregate,
    generatedAt: now.toISOString(),
    thresholds,
    ...(plan && { plan }),
    ...(baseline && { baseline }),
    ...(values['run-id'] !== undefined && { runId: values['run-id'] }),
    ...(values.project !== undefined && { project: values.project }),
    ...optional('minAttempts', number('min-attempts', values['min-attempts'], 0, Number.MAX_SAFE_INTEGER)),
    ...optional('regressionTolerance', number('regression-tolerance', values['regression-tolerance'], 0, 100)),
    ...optional('minMbps', number('min-mbps', values['min-mbps'], 0, Number.MAX_SAFE_INTEGER)),
    ...optional('minDelivery', number('min-delivery', values['min-delivery'], 0, 100)),
    ...optional('maxLoss', number('max-loss', values['max-loss']?.replace(/%$/, ''), 0, 100)),
    ...optional('maxGossipP95Ms', number('max-gossip-p95', values['max-gossip-p95'], 0, Number.MAX_SAFE_INTEGER)),
    ...(values['stage-error'] !== undefined && { stageError: values['stage-error'] }),
    ...(values.unreachable && { unreachable: values.unreachable }),
    ...(soak.length && { soak: soak.map((s, i) => soakCheckpointOf(s.run_id ?? `#${i + 1}`, s)) }),
  });

  const out = values.out ?? join('.vps-test', 'report');
  const branch = values.branch ?? process.env.GITHUB_HEAD_REF ?? process.env.GITHUB_REF_NAME ?? 'unknown';
  const written = await writeReportSet({
    results,
    ...(plan && { plan }),
    out,
    time: now,
    branch,
    ...(pr !== undefined && { pr }),
    evidence: values.results.map((f) => (f === '-' ? 'stdin' : f)),
    artifacts,
    fixCommits: values['fix-commit'] ?? [],
    ...(values.journal !== undefined && { journal: values.journal }),
  });

  console.log(`vps-test report: ${results.verdict.toUpperCase()}${results.reasons[0] ? ` - ${results.reasons[0]}` : ''}`);
  for (const [name, path] of Object.entries(written)) console.log(`  ${name.padEnd(14)} ${path}`);
  return EXIT[results.verdict];
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
