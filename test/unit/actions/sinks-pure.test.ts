// Pure parts of the GitHub sinks, and the fake's own validator (it must reject what GitHub would).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boundBody, COMMENT_BODY_LIMIT } from '../../../src/report/sinks/body-limit.js';
import { baselineKeys, restoreBaseline, saveBaseline, type CacheClient } from '../../../src/report/sinks/baseline.js';
import { artifactName, planRunArtifacts, uploadRunArtifacts, type ArtifactUploader } from '../../../src/report/sinks/artifacts.js';
import { reportableFinding } from '../../../src/report/sinks/journal-commit.js';
import { commentTarget } from '../../../src/report/sinks/pr-comment.js';
import { GitHubSpec } from '../../fakes/github/spec.js';
import type { ResultsJson } from '../../../src/results/schema.js';
import { readFileSync } from 'node:fs';

const tmp = mkdtempSync(join(tmpdir(), 'vt-sinks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('boundBody', () => {
  it('keeps a body that fits, and cuts one that does not at a line with a note, closing an open <details>', () => {
    expect(boundBody('short\n')).toBe('short\n');
    const body = `<details>\n${'line of the matrix\n'.repeat(10_000)}</details>\n`;
    const out = boundBody(body);
    expect(out.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT);
    expect(out).toMatch(/line of the matrix\n<\/details>\n\n> ⚠️ Truncated by vps-test: the report was 190,021 characters/);
  });
});

describe('commentTarget', () => {
  const pr = (head: string | null) => ({ pull_request: { number: 5, head: { repo: head === null ? null : { full_name: head } }, base: { repo: { full_name: 'a/b' } } } });
  it('posts on a same-repo PR, not on a fork, a deleted head repo, a push, or when disabled', () => {
    expect(commentTarget('pull_request', pr('a/b'), true)).toEqual({ post: true, issueNumber: 5 });
    expect(commentTarget('pull_request', pr('x/b'), true).reason).toMatch(/fork \(x\/b\)/);
    expect(commentTarget('pull_request', pr(null), true).reason).toMatch(/fork \(a deleted repository\)/);
    expect(commentTarget('pull_request_target', pr('x/b'), true).post).toBe(true); // base token can write
    expect(commentTarget('push', {}, true).reason).toMatch(/not a pull request event \(push\)/);
    expect(commentTarget('pull_request', pr('a/b'), false)).toEqual({ post: false, reason: 'pr-comment is false' });
  });
});

describe('baseline keys', () => {
  it('saves per project and branch with the run id; a PR restores its base branch by prefix', () => {
    const pr = baselineKeys({ project: 'ant-quic', branch: 'feature/x', baseBranch: 'main', runId: 'r1' });
    expect(pr).toEqual({ saveKey: 'vps-test-baseline-ant-quic-feature/x-r1', restoreKey: 'vps-test-baseline-ant-quic-main-latest', restorePrefixes: ['vps-test-baseline-ant-quic-main-'], from: 'main' });
    const push = baselineKeys({ project: 'a,b c', branch: 'main', runId: 'r2' });
    expect(push.saveKey).toBe('vps-test-baseline-a_b_c-main-r2');
    expect(push.restorePrefixes).toEqual(['vps-test-baseline-a_b_c-main-']);
  });

  it('restores into one fixed path, says when there is none, and saves results.json there', async () => {
    const calls: unknown[][] = [];
    const path = join(tmp, 'baseline', 'results.json');
    const miss: CacheClient = { restoreCache: async (...a) => (calls.push(['restore', ...a]), undefined), saveCache: async (...a) => (calls.push(['save', ...a]), 1) };
    const keys = baselineKeys({ project: 'p', branch: 'f', baseBranch: 'main', runId: 'r' });
    expect((await restoreBaseline(miss, keys, 'p', path)).message).toMatch(/^No baseline: no earlier results of p on main/);
    writeFileSync(join(tmp, 'results.json'), '{"verdict":"pass"}');
    expect(await saveBaseline(miss, keys, join(tmp, 'results.json'), path)).toBe('vps-test-baseline-p-f-r');
    expect(calls).toEqual([['restore', [path], 'vps-test-baseline-p-main-latest', ['vps-test-baseline-p-main-']], ['save', [path], 'vps-test-baseline-p-f-r']]);
    const hit: CacheClient = { restoreCache: async () => 'vps-test-baseline-p-main-r0', saveCache: async () => 1 };
    expect(await restoreBaseline(hit, keys, 'p', path)).toEqual({ path, key: 'vps-test-baseline-p-main-r0', message: 'Baseline: results of p on main (cache key vps-test-baseline-p-main-r0).' });
    expect(readFileSync(path, 'utf8')).toBe('{"verdict":"pass"}');
  });
});

describe('run artifacts', () => {
  it('names per run and attempt, uploads reports and logs, never keys or binaries', async () => {
    const run = join(tmp, 'run');
    for (const d of ['logs/n1', 'lab/keys', 'build']) mkdirSync(join(run, d), { recursive: true });
    for (const f of ['report.md', 'results.json', 'results.jsonl', 'junit.xml', 'state.json', 'proof-2026.md', 'logs/n1/service.log', 'build/subject', 'lab/keys/client', 'fleet.json']) writeFileSync(join(run, f), 'x');
    writeFileSync(join(run, 'logs/n1/leak.txt'), '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n');
    const plan = await planRunArtifacts(run, 'abc12', 2);
    expect(plan.uploads.map((u) => [u.name, u.files.map((f) => f.slice(run.length + 1))])).toEqual([
      ['vps-test-abc12-attempt2-reports', ['junit.xml', 'proof-2026.md', 'report.md', 'results.json', 'results.jsonl', 'state.json']],
      ['vps-test-abc12-attempt2-logs', ['logs/n1/service.log']],
    ]);
    expect(plan.excluded.map((e) => e.file).sort()).toEqual(['build/subject', 'fleet.json', 'lab/keys/client', 'logs/n1/leak.txt']);
    const calls: unknown[][] = [];
    const uploader: ArtifactUploader = { uploadArtifact: async (...a) => (calls.push(a), { id: calls.length, size: 1 }) };
    const done = await uploadRunArtifacts(uploader, plan, 14);
    expect(calls.map((c) => [c[0], c[2], c[3]])).toEqual([['vps-test-abc12-attempt2-reports', run, { retentionDays: 14 }], ['vps-test-abc12-attempt2-logs', run, { retentionDays: 14 }]]);
    expect(done).toEqual([{ name: 'vps-test-abc12-attempt2-reports', id: 1, files: 6 }, { name: 'vps-test-abc12-attempt2-logs', id: 2, files: 1 }]);
    expect(artifactName('a/b', 1, 'x:y')).toBe('vps-test-a-b-attempt1-x-y');
  });
});

describe('reportableFinding', () => {
  const r = (over: Partial<ResultsJson>) => ({ verdict: 'pass', categories: {}, ...over }) as ResultsJson;
  it('journals the first run, a verdict change, a recovery, a new failure and a finished soak; not a repeat', () => {
    expect(reportableFinding(r({})).why).toMatch(/first run/);
    expect(reportableFinding(r({ verdict: 'fail', baseline: { generated_at: 't', verdict: 'pass' } })).why).toBe('verdict changed from pass to fail');
    expect(reportableFinding(r({ baseline: { generated_at: 't', verdict: 'fail' } })).why).toBe('recovered (baseline fail)');
    expect(reportableFinding(r({ verdict: 'fail', baseline: { generated_at: 't', verdict: 'fail' }, categories: { relay: { passed: false, note: 'regressed 12 pts' } as never } })).why).toBe('new failure: relay');
    expect(reportableFinding(r({ soak: [{}] as never })).reportable).toBe(true);
    expect(reportableFinding(r({ baseline: { generated_at: 't', verdict: 'pass' } }))).toEqual({ reportable: false, why: 'same verdict as the baseline (pass): nothing new to journal' });
  });
});

describe('fake GitHub validator', () => {
  const spec = new GitHubSpec();
  it('rejects a request or response GitHub would not send or accept', () => {
    const op = spec.match('POST', '/repos/a/b/issues/7/comments');
    expect(op?.operationId).toBe('issues/create-comment');
    expect(spec.checkRequest(op as never, new URLSearchParams(), { bogus: 1 }, true).join()).toMatch(/must have required property 'body'/);
    expect(spec.checkResponse(op as never, 201, { id: 'x' }).join()).toMatch(/must have required property/);
    expect(spec.checkResponse(op as never, 418, {}).join()).toMatch(/status 418 is not declared/);
    const list = spec.match('GET', '/repos/a/b/issues/7/comments');
    expect(spec.checkRequest(list as never, new URLSearchParams('per_page=lots'), undefined, false).join()).toMatch(/per_page=lots is not an integer/);
    expect(spec.match('GET', '/repos/a/b/contents/docs%2FJ.md')?.params.path).toBe('docs/J.md');
  });
});
