// Sinks that leave the machine: GitHub PR comment, journal commit, artifacts, baseline cache,
// job summary. Used by src/actions/ only; the CLI writes files (../files.ts).
export { githubClient, httpStatus, type GitHubClient, type RepoRef } from './github-client.js';
export { boundBody, COMMENT_BODY_LIMIT } from './body-limit.js';
export { upsertStickyComment, commentTarget, commentRefusal, commentBody, DEFAULT_MARKER, type PullRequestEvent, type CommentTarget, type StickyCommentResult } from './pr-comment.js';
export { commitJournalEntry, reportableFinding, JournalCommitError } from './journal-commit.js';
export { planRunArtifacts, uploadRunArtifacts, artifactName, type ArtifactUploader, type ArtifactPlan } from './artifacts.js';
export { baselineKeys, baselinePrefix, restoreBaseline, saveBaseline, BASELINE_PATH, type CacheClient, type BaselineKeys } from './baseline.js';
export { appendJobSummary, summaryNotice } from './job-summary.js';
