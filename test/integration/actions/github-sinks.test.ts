// The GitHub sinks driven by the real Octokit against the fake GitHub REST server; every request
// and response is checked against GitHub's OpenAPI description (fake's `violations`).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/github/server.js';
import { githubClient } from '../../../src/report/sinks/github-client.js';
import { commentTarget, upsertStickyComment, commentRefusal, DEFAULT_MARKER } from '../../../src/report/sinks/pr-comment.js';
import { commitJournalEntry, JournalCommitError } from '../../../src/report/sinks/journal-commit.js';
import { COMMENT_BODY_LIMIT } from '../../../src/report/sinks/body-limit.js';

const OWNER = 'acme';
const REPO = 'p2p';
let gh: FakeGitHub;

beforeEach(async () => {
  gh = new FakeGitHub();
  gh.tokens.set('write-token', { login: 'github-actions[bot]', write: true });
  gh.tokens.set('read-token', { login: 'github-actions[bot]', write: false });
  gh.addRepo(OWNER, REPO, ['main', 'journal']);
  await gh.start();
});
afterEach(async () => {
  await gh.stop();
  expect(gh.violations).toEqual([]);
});

const client = (token = 'write-token') => githubClient(token, gh.url);
const report = (verdict: string) => `${DEFAULT_MARKER}\n## vps-test: ${verdict}\n`;

describe('sticky PR comment', () => {
  it('two runs on one PR produce one comment, updated in place', async () => {
    gh.comments.push({ id: 1, issue: 7, body: 'LGTM', login: 'alice', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    const first = await upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 7, body: report('FAIL') });
    const second = await upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 7, body: report('PASS') });
    expect(first.action).toBe('created');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    const marked = gh.commentsOn(7).filter((c) => c.body.includes(DEFAULT_MARKER));
    expect(marked).toHaveLength(1);
    expect(marked[0]?.body).toContain('PASS');
    expect(gh.commentsOn(7).find((c) => c.id === 1)?.body).toBe('LGTM'); // others' comments untouched
    expect(second.url).toMatch(new RegExp(`/pull/7#issuecomment-${first.id}$`));
    expect(gh.requests.filter((r) => r.operationId === 'issues/create-comment')).toHaveLength(1);
    expect(gh.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(1);
  });

  it('two parallel jobs racing find-or-create end with one comment', async () => {
    // Both list before either creates: each sees no comment and creates one.
    let waiting: (() => void)[] = [];
    let lists = 0;
    gh.hooks.beforeListComments = () => new Promise<void>((resolve) => {
      lists += 1;
      if (lists > 2) return resolve();
      waiting.push(resolve);
      if (waiting.length === 2) {
        waiting.forEach((r) => r());
        waiting = [];
      }
    });
    const [a, b] = await Promise.all([
      upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 9, body: report('job A') }),
      upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 9, body: report('job B') }),
    ]);
    expect(gh.requests.filter((r) => r.operationId === 'issues/create-comment')).toHaveLength(2);
    expect(gh.commentsOn(9)).toHaveLength(1);
    expect(a.id).toBe(b.id);
    expect(gh.commentsOn(9)[0]?.body).toMatch(/job [AB]/);
  });

  it('a leftover duplicate from an earlier race is removed on the next run', async () => {
    for (const id of [5, 6]) gh.comments.push({ id, issue: 3, body: report(`old ${id}`), login: 'github-actions[bot]', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    const r = await upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 3, body: report('new') });
    expect(r).toMatchObject({ action: 'updated', id: 5, removed: [6] });
    expect(gh.commentsOn(3).map((c) => c.body)).toEqual([report('new')]);
  });

  it('finds the marker past the first page of comments', async () => {
    for (let i = 0; i < 130; i++) gh.comments.push({ id: 10 + i, issue: 4, body: `chatter ${i}`, login: 'bob', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    gh.comments.push({ id: 500, issue: 4, body: report('old'), login: 'github-actions[bot]', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' });
    const r = await upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 4, body: report('new') });
    expect(r).toMatchObject({ action: 'updated', id: 500 });
    expect(gh.requests.filter((x) => x.operationId === 'issues/list-comments').length).toBeGreaterThan(1);
  });

  it('a 200 KB report is truncated to the limit with a note, and GitHub accepts it', async () => {
    const big = `${DEFAULT_MARKER}\n${'| a | b |\n'.repeat(20_480)}`; // ~200 KB
    expect(big.length).toBeGreaterThan(200_000);
    await upsertStickyComment(client(), { owner: OWNER, repo: REPO, issueNumber: 11, body: big });
    const [c] = gh.commentsOn(11);
    expect(c?.body.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT);
    expect(c?.body).toContain(DEFAULT_MARKER);
    expect(c?.body).toMatch(/Truncated by vps-test: the report was 204,8\d\d characters/);
  });

  it('a fork pull_request gets no comment, with the reason; a read-only token is refused and said', async () => {
    const fork = { pull_request: { number: 12, head: { repo: { full_name: 'mallory/p2p' } }, base: { repo: { full_name: `${OWNER}/${REPO}` } } } };
    const target = commentTarget('pull_request', fork, true);
    expect(target.post).toBe(false);
    expect(target.reason).toMatch(/#12 comes from a fork \(mallory\/p2p\).*read-only token/);
    expect(commentTarget('pull_request', { pull_request: { ...fork.pull_request, head: { repo: { full_name: `${OWNER}/${REPO}` } } } }, true).post).toBe(true);
    // When a read-only token tries anyway (e.g. permissions: without pull-requests: write).
    const err = await upsertStickyComment(client('read-token'), { owner: OWNER, repo: REPO, issueNumber: 12, body: report('x') }).catch((e: unknown) => e);
    expect(commentRefusal(err)).toMatch(/403: Resource not accessible by integration/);
    expect(gh.commentsOn(12)).toHaveLength(0);
  });
});

describe('journal commit', () => {
  const entry = (n: string) => `### 2026-12-01 10:0${n} - Finding: run ${n}\n**Branch**: \`main\`\n**Status**: PASS\n**PR**: none\n#### Key Findings:\n#### Technical Details:\n#### Next Steps:\n`;
  const input = (n: string) => ({ owner: OWNER, repo: REPO, branch: 'journal', path: 'docs/JOURNAL.md', entry: entry(n), message: `vps-test journal: run ${n}`, wait: async () => {} });

  it('creates the journal, then puts the next entry above the previous one', async () => {
    const first = await commitJournalEntry(client(), input('1'));
    await commitJournalEntry(client(), input('2'));
    const text = gh.fileText(OWNER, REPO, 'journal', 'docs/JOURNAL.md') as string;
    expect(text.startsWith('# vps-test journal\n\n### 2026-12-01 10:02')).toBe(true);
    expect(text.indexOf('run 2')).toBeLessThan(text.indexOf('run 1'));
    expect(first.attempts).toBe(1);
    expect(gh.fileText(OWNER, REPO, 'main', 'docs/JOURNAL.md')).toBeUndefined(); // only the configured branch
    expect(gh.repos.get(`${OWNER}/${REPO}`)?.commits.map((c) => c.message)).toEqual(['vps-test journal: run 1', 'vps-test journal: run 2']);
  });

  it('a concurrent commit between read and write (409 sha mismatch) is retried and both entries are kept', async () => {
    await commitJournalEntry(client(), input('1'));
    let injected = false;
    gh.hooks.beforeContentsPut = (repo, branch, path) => {
      if (injected) return;
      injected = true;
      const now = gh.fileText(OWNER, REPO, branch, path) as string;
      gh.putFile(repo, branch, path, now.replace('### ', `${entry('9')}\n### `));
    };
    const r = await commitJournalEntry(client(), input('2'));
    expect(r.attempts).toBe(2);
    expect(gh.requests.filter((x) => x.operationId === 'repos/create-or-update-file-contents').map((x) => x.status)).toEqual([201, 409, 200]);
    const text = gh.fileText(OWNER, REPO, 'journal', 'docs/JOURNAL.md') as string;
    expect([text.indexOf('run 2'), text.indexOf('run 9'), text.indexOf('run 1')].every((v, i, a) => v >= 0 && (i === 0 || (a[i - 1] as number) < v))).toBe(true);
  });

  it('a file created concurrently (422, sha not supplied) is retried', async () => {
    let injected = false;
    gh.hooks.beforeContentsPut = (repo, branch, path) => {
      if (!injected) gh.putFile(repo, branch, path, `# vps-test journal\n\n${entry('8')}`);
      injected = true;
    };
    const r = await commitJournalEntry(client(), input('3'));
    expect(r.attempts).toBe(2);
    expect(gh.fileText(OWNER, REPO, 'journal', 'docs/JOURNAL.md')).toMatch(/run 3[\s\S]*run 8/);
  });

  it('gives up after the attempts, naming the path and the last error', async () => {
    gh.hooks.beforeContentsPut = (repo, branch, path) => void gh.putFile(repo, branch, path, `# j\n\n${entry(String(Math.random()).slice(2, 3))}`);
    await expect(commitJournalEntry(client(), { ...input('4'), attempts: 3 })).rejects.toThrow(/docs\/JOURNAL.md on journal kept changing under us; gave up after 3 tries \(last: 409/);
  });

  it('a missing branch and a read-only token are said plainly', async () => {
    await expect(commitJournalEntry(client(), { ...input('5'), branch: 'nope' })).rejects.toThrow(/branch nope of acme\/p2p not found/);
    await expect(commitJournalEntry(client('read-token'), input('6'))).rejects.toThrow(JournalCommitError);
    await expect(commitJournalEntry(client('read-token'), input('6'))).rejects.toThrow(/contents: write/);
  });
});
