// What a run left in its folder, read back by the actions: state.json, results.json, report.md.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RunStateView {
  runId: string;
  createdAt: string;
  project?: string;
  fleetUp: boolean;
  verdict?: string;
  exitCode?: number;
  stages?: { stage: string; status: string; error?: string }[];
}

export interface ResultsView {
  verdict: string;
  reasons: string[];
  project?: string;
  baseline?: { verdict: string };
  categories: Record<string, { passed?: boolean | null; note?: string }>;
  soak?: unknown[];
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readState(runDir: string): RunStateView | undefined {
  return readJson<RunStateView>(join(runDir, 'state.json'));
}

/** Runs registered in `root` created at or after `since` (ms): the fallback when the CLI could not be given a run id. */
export function runsCreatedSince(root: string, since: number): RunStateView[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((d) => readState(join(root, d)))
    .filter((s): s is RunStateView => s !== undefined && Date.parse(s.createdAt) >= since - 1000)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export interface RunFiles {
  runDir: string;
  reportPath?: string;
  resultsPath?: string;
  junitPath?: string;
  journalEntryPath?: string;
}

export function runFiles(runDir: string): RunFiles {
  const has = (name: string): string | undefined => {
    const p = join(runDir, name);
    return existsSync(p) && statSync(p).isFile() ? p : undefined;
  };
  const out: RunFiles = { runDir };
  const report = has('report.md');
  const results = has('results.json');
  const junit = has('junit.xml');
  const journal = has('journal.md');
  if (report) out.reportPath = report;
  if (results) out.resultsPath = results;
  if (junit) out.junitPath = junit;
  if (journal) out.journalEntryPath = journal;
  return out;
}

/** The step's verdict: the run's, else error (the run never got as far as a verdict). */
export function verdictOf(state: RunStateView | undefined, results: ResultsView | undefined): string {
  return results?.verdict ?? state?.verdict ?? 'error';
}
