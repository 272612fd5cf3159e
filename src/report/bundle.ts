// The full set of report files of one evaluation (report.md, results.json, junit.xml, proof,
// journal entry), written into one folder; used by `vps-test report` and by `vps-test run`.
import { basename, join } from 'node:path';
import type { Plan } from '../plan/types.js';
import type { ResultsJson } from '../results/schema.js';
import { renderMarkdown } from './markdown.js';
import { renderResultsJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderProof, proofFileName } from './proof.js';
import { proofEvidence, type RunFiles } from './proof-modes.js';
import { renderJournalEntry } from './journal.js';
import { appendToJournalFile, writeReportFiles } from './files.js';
import type { ArtifactLink } from './sections.js';

export interface ReportSetInput {
  results: ResultsJson;
  plan?: Plan;
  out: string;
  time: Date;
  branch: string;
  pr?: number;
  /** evidence files that exist besides the reports (event files, logs) */
  evidence: readonly string[];
  /** a run's own files: the proof choice picks which of them the proof lists (proof-modes.ts) */
  runFiles?: RunFiles;
  artifacts?: readonly ArtifactLink[];
  fixCommits?: readonly string[];
  /** also insert the journal entry into this journal file, latest on top */
  journal?: string;
}

export async function writeReportSet(input: ReportSetInput): Promise<Record<string, string>> {
  const { results, plan, out, time, branch, pr } = input;
  const proofName = proofFileName(time);
  const outputs = ['report.md', 'results.json', 'junit.xml', 'journal.md'].map((n) => join(out, n));
  const mode = plan?.choices.proof ?? 'all-evidence';
  const kept = input.runFiles ? proofEvidence(mode, input.runFiles) : { files: [], notes: [] };
  const evidence = [...kept.files, ...input.evidence, ...outputs, ...(input.artifacts ?? []).map((a) => a.url)].filter((p) => basename(p) !== proofName);
  const journalEntry = renderJournalEntry({ results, time, branch, pr: pr ?? null });
  const written = await writeReportFiles(out, {
    'report.md': renderMarkdown({ results, ...(plan && { plan }), artifacts: input.artifacts ?? [] }),
    'results.json': renderResultsJson(results),
    'junit.xml': renderJunit(results),
    [proofName]: renderProof({ results, time, evidence, evidenceNotes: kept.notes, mode, ...(branch !== 'unknown' && { branch }), ...(pr !== undefined && { pr }), fixCommits: input.fixCommits ?? [], ...(plan && { plan }) }),
    'journal.md': journalEntry,
  });
  if (input.journal !== undefined) {
    await appendToJournalFile(input.journal, journalEntry);
    written['journal'] = input.journal;
  }
  return written;
}
