// Journal entries committed through the contents API (docs/architecture.md "Journal commit"):
// read the file at the branch head, insert the entry latest-on-top, write it back with the sha
// read. A concurrent commit makes GitHub answer 409 (sha mismatch) or 422 (sha missing or
// unknown): read again and retry, so no entry is lost and none is written twice.
import type { ResultsJson } from '../../results/schema.js';
import { insertJournalEntry } from '../journal.js';
import { errorMessage, httpStatus, type GitHubClient, type RepoRef } from './github-client.js';

export interface JournalCommitInput extends RepoRef {
  branch: string;
  path: string;
  /** one rendered entry (renderJournalEntry) */
  entry: string;
  message: string;
  /** tries in all, default 5 */
  attempts?: number;
  /** between tries; default 250 ms * try */
  wait?: (attempt: number) => Promise<void>;
}

export interface JournalCommitResult {
  commitSha: string;
  url: string;
  attempts: number;
}

export class JournalCommitError extends Error {}

async function readFileAt(gh: GitHubClient, input: JournalCommitInput): Promise<{ text: string; sha?: string }> {
  try {
    const res = await gh.rest.repos.getContent({ owner: input.owner, repo: input.repo, path: input.path, ref: input.branch });
    const data = res.data as { type?: string; content?: string; encoding?: string; sha: string };
    if (Array.isArray(res.data) || data.type !== 'file') throw new JournalCommitError(`journal ${input.path} on ${input.branch} is not a file`);
    return { text: Buffer.from(data.content ?? '', (data.encoding as BufferEncoding | undefined) ?? 'base64').toString('utf8'), sha: data.sha };
  } catch (err) {
    if (httpStatus(err) === 404) return { text: '' };
    throw err;
  }
}

export async function commitJournalEntry(gh: GitHubClient, input: JournalCommitInput): Promise<JournalCommitResult> {
  const attempts = input.attempts ?? 5;
  const wait = input.wait ?? ((n: number) => new Promise<void>((r) => setTimeout(r, 250 * n)));
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readFileAt(gh, input);
    const next = insertJournalEntry(current.text, input.entry);
    try {
      const res = await gh.rest.repos.createOrUpdateFileContents({
        owner: input.owner,
        repo: input.repo,
        path: input.path,
        branch: input.branch,
        message: input.message,
        content: Buffer.from(next, 'utf8').toString('base64'),
        ...(current.sha !== undefined && { sha: current.sha }),
      });
      return { commitSha: res.data.commit.sha ?? '', url: res.data.content?.html_url ?? '', attempts: attempt };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) throw new JournalCommitError(`journal: branch ${input.branch} of ${input.owner}/${input.repo} not found, or the token may not write it (${errorMessage(err)})`);
      if (status === 403) throw new JournalCommitError(`journal: the token may not write ${input.owner}/${input.repo} (grant \`permissions: contents: write\`): ${errorMessage(err)}`);
      if (status !== 409 && status !== 422) throw err;
      last = `${status}: ${errorMessage(err)}`;
      if (attempt < attempts) await wait(attempt);
    }
  }
  throw new JournalCommitError(`journal: ${input.path} on ${input.branch} kept changing under us; gave up after ${attempts} tries (last: ${last})`);
}

/**
 * Whether a run is a reportable finding (docs/architecture.md "Journal"): the first run of a
 * branch, a verdict change against the baseline, a category that newly fails, a finished soak.
 * A run that repeats its baseline's verdict is not journaled.
 */
export function reportableFinding(r: ResultsJson): { reportable: boolean; why: string } {
  if (r.soak?.length) return { reportable: true, why: 'soak completed' };
  if (!r.baseline) return { reportable: true, why: 'no baseline to compare with (first run)' };
  if (r.baseline.verdict !== r.verdict) return { reportable: true, why: r.verdict === 'pass' ? `recovered (baseline ${r.baseline.verdict})` : `verdict changed from ${r.baseline.verdict} to ${r.verdict}` };
  const regressed = Object.entries(r.categories).filter(([, c]) => c.passed === false && (c.note ?? '').startsWith('regressed')).map(([n]) => n);
  if (regressed.length) return { reportable: true, why: `new failure: ${regressed.join(', ')}` };
  return { reportable: false, why: `same verdict as the baseline (${r.verdict}): nothing new to journal` };
}
