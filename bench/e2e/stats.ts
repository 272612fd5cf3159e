// Pure helpers for the e2e benchmark: spreads of repeated measurements and a tally of probe
// results, so the pipeline's TEST stage and the naive loop are checked for the same outcome.
import type { PlannedPair } from '../../src/plan/types.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number };
}

export interface Tally {
  attempts: number;
  ok: number;
  /** ok attempts whose path is the one the plan expects for the pair (section 5 oracle) */
  onExpectedPath: number;
}

export const EMPTY_TALLY: Tally = { attempts: 0, ok: 0, onExpectedPath: 0 };

export function addTallies(a: Tally, b: Tally): Tally {
  return { attempts: a.attempts + b.attempts, ok: a.ok + b.ok, onExpectedPath: a.onExpectedPath + b.onExpectedPath };
}

interface AttemptLine {
  type?: string;
  from?: string;
  to?: string;
  ok?: boolean;
  path?: string;
}

/**
 * Counts the attempt events of JSONL text that belong to `pairs` (others, e.g. the reverse
 * direction a two-node probe also reports, are ignored). Non-JSON lines are ignored too.
 */
export function tallyAttempts(jsonl: string, pairs: readonly PlannedPair[]): Tally {
  const expected = new Map(pairs.map((p) => [`${p.from}>${p.to}`, p.expectedPath]));
  const t = { ...EMPTY_TALLY };
  for (const line of jsonl.split('\n')) {
    let e: AttemptLine;
    try {
      e = JSON.parse(line) as AttemptLine;
    } catch {
      continue;
    }
    if (e?.type !== 'attempt') continue;
    const want = expected.get(`${e.from}>${e.to}`);
    if (!want) continue;
    t.attempts++;
    if (e.ok === true) {
      t.ok++;
      if (e.path === want) t.onExpectedPath++;
    }
  }
  return t;
}

export function seconds(ms: number, digits = 2): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

/** How a controller's SSH connection to a node dies mid-run (ssh2 / SshPool messages). */
export const SSH_LOSS = /No response from server|lost the connection/;

/**
 * A run reproduced the NAT matrix: it passed, and every planned attempt was reported, ok, on the
 * path the oracle expects (`tally` counts only planned pairs). Pure.
 */
export function matrixCorrect(run: { exitCode: number | null; verdict?: string | undefined; tally: Tally }, expectedAttempts: number): boolean {
  const t = run.tally;
  return run.exitCode === 0 && run.verdict === 'pass' && t.attempts === expectedAttempts && t.ok === expectedAttempts && t.onExpectedPath === expectedAttempts;
}
