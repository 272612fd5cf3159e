// The action's inputs, read and checked in one place. Pure: `get` is core.getInput in the action.
export class InputError extends Error {}

export const DEFAULT_CONFIG = '.vps-test.yml';

export interface ActionInputs {
  /** path as given; `configIsDefault` when it is the default name (then a missing file means the default lab example) */
  config: string;
  configIsDefault: boolean;
  choices: { project?: string; focus?: string; criteria?: string; proof?: string };
  githubToken: string;
  digitaloceanToken: string;
  prComment: boolean;
  /** repository path of the journal to commit to; '' for none */
  journal: string;
  /** branch the journal is committed to; '' for the run's branch */
  journalBranch: string;
  baseline: boolean;
  keep: boolean;
  artifacts: boolean;
  retentionDays?: number;
}

export function booleanInput(get: (name: string) => string, name: string, fallback: boolean): boolean {
  const raw = get(name).trim();
  if (raw === '') return fallback;
  if (/^(true|True|TRUE)$/.test(raw)) return true;
  if (/^(false|False|FALSE)$/.test(raw)) return false;
  throw new InputError(`input ${name}: "${raw}" is not a boolean (true or false)`);
}

export function readInputs(get: (name: string) => string): ActionInputs {
  const text = (name: string): string => get(name).trim();
  const config = text('config') || DEFAULT_CONFIG;
  const choices: ActionInputs['choices'] = {};
  for (const k of ['project', 'focus', 'criteria', 'proof'] as const) if (text(k)) choices[k] = text(k);
  const retention = text('retention-days');
  const retentionDays = retention === '' ? undefined : Number(retention);
  if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 90)) throw new InputError(`input retention-days: "${retention}" is not a whole number of days from 1 to 90`);
  return {
    config,
    configIsDefault: config === DEFAULT_CONFIG,
    choices,
    githubToken: text('github-token'),
    digitaloceanToken: text('digitalocean-token'),
    prComment: booleanInput(get, 'pr-comment', true),
    journal: text('journal'),
    journalBranch: text('journal-branch'),
    baseline: booleanInput(get, 'baseline', true),
    keep: booleanInput(get, 'keep', false),
    artifacts: booleanInput(get, 'artifacts', true),
    ...(retentionDays !== undefined && { retentionDays }),
  };
}
