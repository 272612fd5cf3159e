// The four choices of a run. Flags win; in a terminal the missing ones are asked; without a TTY
// (CI, pipes) nothing is ever asked and defaults apply.
import { CRITERIA_MODES, FOCUSES, PROOFS, type Choices } from './types.js';

export const DEFAULT_CHOICES: Omit<Choices, 'project'> = { focus: 'full-suite', criteria: 'threshold', proof: 'all-evidence' };

export type PartialChoices = Partial<Choices>;

export interface Prompter {
  select<T extends string>(message: string, values: readonly T[], defaultValue: T): Promise<T>;
  input(message: string, defaultValue: string): Promise<string>;
}

export class ChoiceError extends Error {}

/** Validates a flag value against its allowed values. */
export function checkChoice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ChoiceError(`--${flag} ${value}: not one of ${allowed.join(', ')}`);
  return value as T;
}

export async function resolveChoices(given: PartialChoices, defaultProject: string, prompter?: Prompter): Promise<Choices> {
  if (!prompter) return { project: given.project ?? defaultProject, ...DEFAULT_CHOICES, ...strip(given) };
  return {
    project: given.project ?? (await prompter.input('Project', defaultProject)),
    focus: given.focus ?? (await prompter.select('Focus', FOCUSES, DEFAULT_CHOICES.focus)),
    criteria: given.criteria ?? (await prompter.select('Success criteria', CRITERIA_MODES, DEFAULT_CHOICES.criteria)),
    proof: given.proof ?? (await prompter.select('Proof to keep', PROOFS, DEFAULT_CHOICES.proof)),
  };
}

function strip(given: PartialChoices): PartialChoices {
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

/** A Prompter on @inquirer/prompts, for terminals only. */
export async function terminalPrompter(): Promise<Prompter> {
  const { select, input, } = await import('@inquirer/prompts');
  return {
    select: (message, values, defaultValue) => select({ message, choices: values.map((v) => ({ value: v, name: v })), default: defaultValue }),
    input: (message, defaultValue) => input({ message, default: defaultValue }),
  };
}

export async function terminalConfirm(message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: true });
}
