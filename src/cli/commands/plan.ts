import { loadConfig } from '../../config/load.js';
import { findConfig } from '../../config/find.js';
import { buildPlan } from '../../plan/plan.js';
import { renderPlanSummary } from '../../plan/summary.js';
import { parseFlags } from '../args.js';
import { choicesFromFlags, CHOICE_FLAGS, CHOICE_HELP, promptsAllowed } from '../choices.js';
import { resolveChoices, terminalPrompter } from '../../plan/choices.js';

const HELP = `Usage: vps-test plan [CONFIG] [options]

Prints the test plan: project, focus, success criteria, proof, nodes by role and NAT type,
binary source, estimated node-minutes and cost. CONFIG defaults to ./.vps-test.yml, else the
bundled example ${'examples/lab-nat-matrix.yml'}. In a terminal, choices not given as flags are
asked; without a TTY (or with --yes) defaults apply.

Options:
${CHOICE_HELP}
  --json                 print the plan as JSON
  -y, --yes              never ask; use flags and defaults`;

export async function planCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...CHOICE_FLAGS, json: { type: 'boolean' }, yes: { type: 'boolean', short: 'y' } }, 'plan');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { path } = findConfig(positionals[0], { allowDefaultExample: true });
  const loaded = await loadConfig(path);
  const prompter = promptsAllowed(Boolean(values.yes) || Boolean(values.json)) ? await terminalPrompter() : undefined;
  const choices = await resolveChoices(choicesFromFlags(values), loaded.project, prompter);
  const plan = buildPlan(loaded.config, choices);
  console.log(values.json ? JSON.stringify(plan, null, 2) : renderPlanSummary(plan));
  return 0;
}
