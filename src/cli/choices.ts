// The choice flags shared by `plan` and `run`.
import { checkChoice, type PartialChoices } from '../plan/choices.js';
import { CRITERIA_MODES, FOCUSES, PROOFS } from '../plan/types.js';

export const CHOICE_FLAGS = {
  project: { type: 'string' },
  focus: { type: 'string' },
  criteria: { type: 'string' },
  proof: { type: 'string' },
} as const;

export const CHOICE_HELP = [
  '  --project NAME         project name (default: config project, else its directory)',
  `  --focus F              ${FOCUSES.join(' | ')} (default full-suite)`,
  `  --criteria C           ${CRITERIA_MODES.join(' | ')} (default threshold)`,
  `  --proof P              ${PROOFS.join(' | ')} (default all-evidence)`,
].join('\n');

export function choicesFromFlags(values: Record<string, unknown>): PartialChoices {
  const out: PartialChoices = {};
  if (typeof values.project === 'string') out.project = values.project;
  if (typeof values.focus === 'string') out.focus = checkChoice('focus', values.focus, FOCUSES);
  if (typeof values.criteria === 'string') out.criteria = checkChoice('criteria', values.criteria, CRITERIA_MODES);
  if (typeof values.proof === 'string') out.proof = checkChoice('proof', values.proof, PROOFS);
  return out;
}

/** Prompts only in an interactive terminal, never in CI or with --yes. */
export function promptsAllowed(yes: boolean): boolean {
  return !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}
