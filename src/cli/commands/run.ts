import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { buildPlan } from '../../plan/plan.js';
import { renderPlanSummary } from '../../plan/summary.js';
import { resolveChoices, terminalConfirm, terminalPrompter } from '../../plan/choices.js';
import { newRunId, runsRoot } from '../../run/state.js';
import { consoleProgress } from '../../run/progress.js';
import { runPipeline } from '../../run/pipeline.js';
import { unsupportedSuites } from '../../run/test-stage.js';
import { providerFor } from '../../providers/index.js';
import { parseFlags, UsageError } from '../args.js';
import { CHOICE_FLAGS, CHOICE_HELP, choicesFromFlags, promptsAllowed } from '../choices.js';

const HELP = `Usage: vps-test run [CONFIG] [options]

Plans, builds, provisions, deploys, tests, evaluates, reports and tears down. CONFIG defaults
to ./.vps-test.yml, else the bundled lab NAT matrix (examples/lab-nat-matrix.yml: no account,
no cost; needs root for network namespaces). Everything lands in .vps-test/runs/<run-id>/:
report.md, results.json, results.jsonl, junit.xml, proof-*.md, journal.md, logs/<node>/.
Teardown runs also on failure and Ctrl-C.

Exit code: 0 pass (or degraded), 1 fail, 2 error or bad input, 130 interrupted.

Options:
${CHOICE_HELP}
  --keep                 leave the fleet up (then: vps-test nodes / diagnose / down)
  --baseline FILE        results.json of the previous run on the base branch
  --branch B             branch for the journal (default: the git branch)
  --pr N                 pull request number for the journal and proof
  -y, --yes              never ask; use flags and defaults`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { ...CHOICE_FLAGS, keep: { type: 'boolean' }, baseline: { type: 'string' }, branch: { type: 'string' }, pr: { type: 'string' }, yes: { type: 'boolean', short: 'y' } },
    'run',
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`run: one config at most (got ${positionals.join(' ')})`);
  const pr = values.pr === undefined ? undefined : Number(values.pr);
  if (pr !== undefined && (!Number.isInteger(pr) || pr < 1)) throw new UsageError(`--pr ${values.pr}: expected a pull request number`);

  const planStartedAt = Date.now();
  const found = findConfig(positionals[0], { allowDefaultExample: true });
  const loaded = await loadConfig(found.path);
  if (found.isDefaultExample) console.error(`no .vps-test.yml here: running the default example ${loaded.file}`);
  const interactive = promptsAllowed(Boolean(values.yes));
  const choices = await resolveChoices(choicesFromFlags(values), loaded.project, interactive ? await terminalPrompter() : undefined);
  const plan = buildPlan(loaded.config, choices);
  console.error(renderPlanSummary(plan));
  const unsupported = unsupportedSuites(plan);
  if (unsupported.length) throw new UsageError(`run: ${unsupported.join(', ')}: this version cannot run these suites; nothing was provisioned`);
  if (interactive && !(await terminalConfirm('Run this plan?'))) {
    console.error('not run: nothing was built or provisioned');
    return 2;
  }

  const progress = consoleProgress();
  const outcome = await runPipeline({
    planStartedAt: interactive ? Date.now() : planStartedAt, // time spent answering prompts is not planning
    loaded,
    plan,
    runId: newRunId(),
    runsRoot: runsRoot(),
    provider: providerFor(plan.provider),
    progress,
    keep: Boolean(values.keep),
    cwd: resolve(found.isDefaultExample ? process.cwd() : resolve(found.path, '..')),
    branch: values.branch ?? process.env.GITHUB_HEAD_REF ?? process.env.GITHUB_REF_NAME ?? gitBranch(),
    ...(pr !== undefined && { pr }),
    ...(values.baseline !== undefined && { baselinePath: values.baseline }),
  });
  const head = `${outcome.verdict.toUpperCase()}${outcome.interrupted ? ` (interrupted by ${outcome.interrupted})` : ''}`;
  console.log(`vps-test run ${outcome.runId}: ${head}`);
  for (const reason of outcome.reasons) console.log(`  - ${reason}`);
  console.log(`  report: ${outcome.runDir}/report.md`);
  return outcome.exitCode;
}

function gitBranch(): string {
  try {
    return execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
