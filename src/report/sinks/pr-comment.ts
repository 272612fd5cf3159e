// The sticky PR comment: found by a hidden marker and updated in place, never duplicated by
// re-runs or by parallel jobs racing find-or-create (docs/architecture.md "Sticky PR comment").
// Races are settled after the fact: every job that created a comment lists again, the oldest
// marked comment wins, the others delete their own and update the winner.
import { REPORT_MARKER } from '../markdown.js';
import { boundBody } from './body-limit.js';
import { httpStatus, errorMessage, type GitHubClient, type RepoRef } from './github-client.js';

export const DEFAULT_MARKER = REPORT_MARKER;

export interface StickyCommentInput extends RepoRef {
  issueNumber: number;
  body: string;
  marker?: string;
}

export interface StickyCommentResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
  /** duplicate marked comments removed (left by an earlier race) */
  removed: number[];
}

interface Marked {
  id: number;
  body: string;
  url: string;
}

/** A body carrying the marker exactly once at the top, bounded to GitHub's limit. */
export function commentBody(body: string, marker = DEFAULT_MARKER): string {
  return boundBody(body.includes(marker) ? body : `${marker}\n${body}`);
}

async function listMarked(gh: GitHubClient, input: StickyCommentInput, marker: string): Promise<Marked[]> {
  const all = await gh.paginate(gh.rest.issues.listComments, { owner: input.owner, repo: input.repo, issue_number: input.issueNumber, per_page: 100 });
  return all
    .filter((c) => (c.body ?? '').includes(marker))
    .map((c) => ({ id: c.id, body: c.body ?? '', url: c.html_url }))
    .sort((a, b) => a.id - b.id);
}

async function deleteQuietly(gh: GitHubClient, input: StickyCommentInput, id: number): Promise<void> {
  try {
    await gh.rest.issues.deleteComment({ owner: input.owner, repo: input.repo, comment_id: id });
  } catch (err) {
    if (httpStatus(err) !== 404) throw err; // another job removed it first
  }
}

export async function upsertStickyComment(gh: GitHubClient, input: StickyCommentInput): Promise<StickyCommentResult> {
  const marker = input.marker ?? DEFAULT_MARKER;
  const body = commentBody(input.body, marker);
  const { owner, repo } = input;
  let marked = await listMarked(gh, input, marker);
  let createdId: number | undefined;
  if (!marked.length) {
    const created = await gh.rest.issues.createComment({ owner, repo, issue_number: input.issueNumber, body });
    createdId = created.data.id;
    marked = await listMarked(gh, input, marker);
    if (!marked.some((m) => m.id === createdId)) marked.push({ id: created.data.id, body, url: created.data.html_url });
  }
  const [winner, ...extras] = marked as [Marked, ...Marked[]];
  for (const extra of extras) await deleteQuietly(gh, input, extra.id);
  if (winner.body !== body) await gh.rest.issues.updateComment({ owner, repo, comment_id: winner.id, body });
  return { action: winner.id === createdId ? 'created' : 'updated', id: winner.id, url: winner.url, removed: extras.map((e) => e.id) };
}

export interface CommentTarget {
  post: boolean;
  issueNumber?: number;
  /** why no comment is posted, for the job summary */
  reason?: string;
}

/** Minimal shape of the event payload fields we read. */
export interface PullRequestEvent {
  pull_request?: { number: number; head?: { repo?: { full_name?: string } | null }; base?: { repo?: { full_name?: string } } };
  issue?: { number: number; pull_request?: unknown };
}

/**
 * Whether this job can and should comment. A pull_request event from a fork runs with a
 * read-only GITHUB_TOKEN: posting would fail with 403, so it is not tried and the summary says why.
 */
export function commentTarget(eventName: string, event: PullRequestEvent, enabled: boolean): CommentTarget {
  if (!enabled) return { post: false, reason: 'pr-comment is false' };
  const pr = event.pull_request;
  if (!pr) return { post: false, reason: `not a pull request event (${eventName}): the report is in the job summary only` };
  const head = pr.head?.repo?.full_name;
  const base = pr.base?.repo?.full_name;
  if (eventName === 'pull_request' && (head === undefined || head === null || head !== base)) {
    return { post: false, issueNumber: pr.number, reason: `pull request #${pr.number} comes from a fork (${head ?? 'a deleted repository'}): GitHub gives fork pull requests a read-only token, so no PR comment was posted; the report is below` };
  }
  return { post: true, issueNumber: pr.number };
}

/** A 403 from a create/update: the token may not write (fork, or permissions: without pull-requests: write). */
export function commentRefusal(err: unknown): string | undefined {
  if (httpStatus(err) === 403 || httpStatus(err) === 404) return `the token may not comment on this pull request (${httpStatus(err)}: ${errorMessage(err)}); grant \`permissions: pull-requests: write\` or see the fork-PR notes in the README`;
  return undefined;
}
