// The report renderers and sinks, for other stages (run/, actions/) to import in one place.
export { renderMarkdown, REPORT_MARKER, GITHUB_BODY_LIMIT, type MarkdownInput } from './markdown.js';
export type { ArtifactLink } from './sections.js';
export { renderJunit, xmlEscape } from './junit.js';
export { renderResultsJson } from './json.js';
export { renderProof, proofFileName, type ProofInput } from './proof.js';
export { PROOF_KEEPS, proofCollectsLogs, proofEvidence, manualChecklist, type RunFiles } from './proof-modes.js';
export { renderJournalEntry, insertJournalEntry, describeFinding, suggestNextSteps, JOURNAL_TITLE, type JournalInput, type JournalStatus } from './journal.js';
export { writeReportFiles, writeFileAtomic, appendToJournalFile } from './files.js';
