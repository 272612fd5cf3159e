// The root action run from dist/ as the runner runs it (Node 24, INPUT_*, GITHUB_OUTPUT,
// GITHUB_STATE, GITHUB_STEP_SUMMARY, a real pull_request payload, GITHUB_API_URL at the fake
// GitHub), as root and as a non-root user with passwordless sudo. Lab runs are kept small.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitHub } from '../../fakes/github/server.js';
import { createRunnerUser, FakeJob, REPO_ROOT, type RunnerUser } from '../../fakes/github/runner.js';
import { namespacesOf, processesMentioning } from '../../helpers/cli.js';
import { scanForSecrets, secretsIn } from './secret-scan.js';
import { localCacheClient } from '../../../src/actions/common/clients.js';

const isRoot = process.getuid?.() === 0;
const PR_EVENT = join(REPO_ROOT, 'test/fixtures/github/pull_request.opened.json');
const FORK_EVENT = join(REPO_ROOT, 'test/fixtures/github/pull_request.fork.json');
const TOKEN = 'ghs_FakeJobToken0123456789abcdefABCDEF01';
const SMALL_LAB = `project: act
fleet:
  nodes:
    - { name: boot, role: bootstrap }
    - { name: pub }
    - { name: cone, nat: full-cone }
tests:
  connectivity: { trials: 3 }
`;

let work: string;
let gh: FakeGitHub;
const jobs: FakeJob[] = [];
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vt-action-'));
  chmodSync(work, 0o755); // the runner user must reach its workspace
  gh = new FakeGitHub();
  gh.tokens.set(TOKEN, { login: 'github-actions[bot]', write: true });
  gh.addRepo('Codertocat', 'Hello-World', ['master', 'changes']);
  await gh.start();
});
afterAll(async () => {
  await gh.stop();
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
  for (const j of jobs.splice(0)) j.remove();
});

function workspace(name: string, config?: string): string {
  const dir = join(work, name, 'ws');
  mkdirSync(dir, { recursive: true });
  if (config) writeFileSync(join(dir, '.vps-test.yml'), config);
  return dir;
}

function job(ws: string, extra: Partial<ConstructorParameters<typeof FakeJob>[0]> = {}): FakeJob {
  const j = new FakeJob({ actionDir: REPO_ROOT, workspace: ws, eventPayload: PR_EVENT, apiUrl: gh.url, token: TOKEN, ...extra, env: { VPS_TEST_LOCAL_ARTIFACT_DIR: join(ws, '..', 'artifacts'), VPS_TEST_LOCAL_CACHE_DIR: join(ws, '..', 'cache'), ...extra.env } });
  jobs.push(j);
  return j;
}

function expectNothingLeft(ws: string, runId: string): void {
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(join(ws, '.vps-test', 'runs', runId))).toEqual([]);
  expect(existsSync(join(ws, '.vps-test', 'runs', runId, 'lab', 'keys', 'client'))).toBe(false);
}

const waitFor = async (what: () => boolean, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return what();
};

describe('root action without a lab', () => {
  it('config errors become annotations with file and line, the step fails, the summary says so', async () => {
    const ws = workspace('bad-config', 'project: x\nfleet:\n  nodes:\n    - { name: a, nat: sideways }\n');
    const j = job(ws);
    const r = await j.run('main');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^::error title=vps-test config,file=\.vps-test\.yml,line=4,col=\d+::fleet\.nodes\[0\]\.nat/m);
    expect(r.stdout).toMatch(/::error::vps-test run stopped before a run started \(exit 2\); nothing was provisioned/);
    expect(r.outputs.verdict).toBe('error');
    expect(j.summary()).toMatch(/## vps-test: ERROR/);
    const post = await j.run('post');
    expect(post.code, post.stdout + post.stderr).toBe(0);
  });

  it('a missing config that was asked for by name is an error naming it', async () => {
    const ws = workspace('missing-config');
    const r = await job(ws, { inputs: { config: 'ci/lab.yml' } }).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::input config: ci\/lab\.yml does not exist in /);
  });

  it('a bad boolean input is named', async () => {
    const r = await job(workspace('bad-input'), { inputs: { keep: 'yes please' } }).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::input keep: "yes please" is not a boolean/);
  });
});

describe.skipIf(!isRoot)('root action as a non-root user without sudo', () => {
  let user: RunnerUser & { remove: () => void };
  beforeAll(() => {
    user = createRunnerUser(`vtnosudo${process.pid % 10000}`, false);
  });
  afterAll(() => user?.remove());
  it('says the lab needs root and how to get it, and provisions nothing', async () => {
    const ws = workspace('nosudo', SMALL_LAB);
    const r = await job(ws, { user }).run('main');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/::error::vps-test's local lab needs root \(network namespaces, nftables, sshd\): this runner is user vtnosudo\d+ without passwordless sudo/);
    expect(existsSync(join(ws, '.vps-test'))).toBe(false);
  });
});

/** The log as the runner shows it: ::add-mask:: commands are consumed by the runner (that is how secrets get masked). */
const stepLog = (out: string): string => out.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');

function onlyRun(ws: string): string | undefined {
  const root = join(ws, '.vps-test', 'runs');
  return existsSync(root) ? readdirSync(root)[0] : undefined;
}


describe.skipIf(!isRoot)('root action on the lab', () => {
  it('as root on a same-repo PR: pass, outputs, summary, one sticky comment, artifacts, baseline; post leaves nothing', async () => {
    const ws = workspace('root-pass', SMALL_LAB);
    const j = job(ws, { inputs: { 'retention-days': '5' } });
    const r = await j.run('main');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runId = r.outputs['run-id'] as string;
    expect(runId).toMatch(/^[a-z][a-z0-9]{4}$/);
    // three trials are too few to judge every category: degraded, which passes the step
    const results = JSON.parse(readFileSync(join(ws, '.vps-test', 'runs', runId, 'results.json'), 'utf8')) as { verdict: string };
    expect(['pass', 'degraded']).toContain(results.verdict);
    expect(r.outputs.verdict).toBe(results.verdict);
    expect(r.outputs['report-path']).toBe(join(ws, '.vps-test', 'runs', runId, 'report.md'));
    expect(existsSync(r.outputs['results-path'] as string)).toBe(true);
    const comments = gh.commentsOn(2);
    expect(comments).toHaveLength(1);
    expect(r.outputs['comment-url']).toBe(`https://github.com/Codertocat/Hello-World/pull/2#issuecomment-${comments[0]?.id}`);
    const report = readFileSync(r.outputs['report-path'] as string, 'utf8');
    expect(comments[0]?.body).toBe(report);
    expect(j.summary()).toContain(report);
    expect(j.summary()).toMatch(/No baseline: no earlier results of act on master/);
    expect(j.summary()).toContain(`\`vps-test-${runId}-attempt1-reports\``);
    const uploaded = JSON.parse(readFileSync(join(ws, '..', 'artifacts', `vps-test-${runId}-attempt1-reports.json`), 'utf8')) as { files: string[]; retentionDays: number };
    expect(uploaded.files).toEqual(expect.arrayContaining(['report.md', 'results.json', 'junit.xml', 'state.json']));
    expect(uploaded.retentionDays).toBe(5);
    expect(readdirSync(join(ws, '..', 'cache')).map(decodeURIComponent)).toEqual([`vps-test-baseline-act-changes-${runId}-1`]);
    const post = await j.run('post');
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(new RegExp(`run ${runId}: already torn down`));
    expectNothingLeft(ws, runId);
    // Secrets never reach what the run and the action wrote, nor the step's log, nor GitHub.
    expect(scanForSecrets(join(work, 'root-pass'), [TOKEN])).toEqual([]);
    expect(secretsIn(stepLog(`${r.stdout}${r.stderr}${post.stdout}${post.stderr}`), [TOKEN])).toEqual([]);
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`); // the token is masked in the runner's log
    expect(secretsIn(gh.commentsOn(2).map((c) => c.body).join('\n'), [TOKEN])).toEqual([]);
  });

  it('a second run on the same PR: the one comment updated, the base branch baseline restored, a journal entry committed', async () => {
    const first = gh.commentsOn(2);
    expect(first).toHaveLength(1); // from the test above
    const ws = workspace('second', SMALL_LAB);
    // master's latest baseline in the cache, at the path this workspace restores it to
    const cacheDir = join(ws, '..', 'cache');
    const baselineAt = join(ws, '.vps-test', 'baseline', 'results.json');
    mkdirSync(join(ws, '.vps-test', 'baseline'), { recursive: true });
    const previous = readdirSync(join(work, 'root-pass', 'ws', '.vps-test', 'runs'))[0] as string;
    // The baseline failed: this run's verdict differs, so it is a journal finding.
    const base = JSON.parse(readFileSync(join(work, 'root-pass', 'ws', '.vps-test', 'runs', previous, 'results.json'), 'utf8')) as { verdict: string };
    writeFileSync(baselineAt, JSON.stringify({ ...base, verdict: 'fail' }));
    await localCacheClient(cacheDir).saveCache([baselineAt], 'vps-test-baseline-act-master-r0');
    rmSync(join(ws, '.vps-test'), { recursive: true, force: true });
    const j = job(ws, { inputs: { journal: 'docs/JOURNAL.md', 'journal-branch': 'master' } });
    const r = await j.run('main');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const runId = r.outputs['run-id'] as string;
    expect(gh.commentsOn(2)).toHaveLength(1);
    expect(gh.commentsOn(2)[0]?.id).toBe(first[0]?.id);
    expect(gh.commentsOn(2)[0]?.body).toBe(readFileSync(r.outputs['report-path'] as string, 'utf8'));
    expect(r.stdout).toMatch(/PR comment updated/);
    expect(r.stdout).toMatch(/Baseline: results of act on master \(cache key vps-test-baseline-act-master-r0\)/);
    const results = JSON.parse(readFileSync(r.outputs['results-path'] as string, 'utf8')) as { verdict: string; baseline?: { run_id?: string; verdict: string } };
    expect(results.baseline?.run_id).toBe(previous);
    expect(j.summary()).not.toMatch(/No baseline/);
    expect(results.baseline?.verdict).toBe('fail');
    const journal = gh.fileText('Codertocat', 'Hello-World', 'master', 'docs/JOURNAL.md') as string;
    expect(journal).toMatch(new RegExp(`^# vps-test journal\n\n### \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d - Finding: [^\\n]*after FAIL on the baseline[\\s\\S]*\\*\\*PR\\*\\*: #2[\\s\\S]*Run: ${runId}`));
    expect(r.stdout).toMatch(/journal entry committed to master:docs\/JOURNAL\.md \([0-9a-f]{7}, 1 try\)/);
    expect((await j.run('post')).code).toBe(0);
    expectNothingLeft(ws, runId);
    expect(scanForSecrets(join(work, 'second'), [TOKEN])).toEqual([]);
    expect(secretsIn(`${journal}${stepLog(r.stdout + r.stderr)}`, [TOKEN])).toEqual([]);
  });

  it('as a non-root user with passwordless sudo, on a fork PR: runs elevated, no comment, the summary says why', async () => {
    const user = createRunnerUser(`vtrunner${process.pid % 10000}`, true);
    try {
      const ws = workspace('sudo-fork', SMALL_LAB);
      const before = gh.requests.length;
      const j = job(ws, { user, eventPayload: FORK_EVENT, inputs: { baseline: 'false' } });
      const r = await j.run('main');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\(under sudo -E\)/);
      expect(['pass', 'degraded']).toContain(r.outputs.verdict);
      expect(r.outputs['comment-url']).toBe('');
      expect(gh.requests.slice(before)).toEqual([]); // not even tried
      expect(j.summary()).toMatch(/No PR comment: pull request #2 comes from a fork \(Mallory\/Hello-World\): GitHub gives fork pull requests a read-only token/);
      expect(j.summary()).toContain('<!-- vps-test:report -->');
      const post = await j.run('post');
      expect(post.code, post.stdout + post.stderr).toBe(0);
      expectNothingLeft(ws, r.outputs['run-id'] as string);
      expect(scanForSecrets(join(work, 'sudo-fork'), [TOKEN])).toEqual([]);
    } finally {
      user.remove();
    }
  });

  it('main failed midway (the CLI killed with the fleet up): the step fails, post tears the fleet down', async () => {
    const ws = workspace('midway', SMALL_LAB.replace('trials: 3', 'trials: 40'));
    const j = job(ws, { inputs: { 'pr-comment': 'false', baseline: 'false', artifacts: 'false' } });
    const main = j.start('main');
    expect(await waitFor(() => { const id = onlyRun(ws); return id !== undefined && namespacesOf(id).length > 0 && /cliPid/.test(readFileSync(j.files.state, 'utf8')); }, 120_000)).toBe(true);
    const runId = onlyRun(ws) as string;
    await waitFor(() => readFileSync(join(ws, '.vps-test', 'runs', runId, 'state.json'), 'utf8').includes('"stage": "test"'), 120_000);
    const pid = Number(/cliPid<<(\S+)\n(\d+)/.exec(readFileSync(j.files.state, 'utf8'))?.[2]);
    process.kill(pid, 'SIGKILL');
    const r = await main.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`::error::vps-test run ${runId} was killed by SIGKILL before it finished`));
    expect(namespacesOf(runId).length).toBeGreaterThan(0); // left behind by the dead CLI
    const post = await j.run('post');
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(new RegExp(`run ${runId}: torn down`));
    expectNothingLeft(ws, runId);
  });

  it('main killed (job cancelled hard): post stops the orphaned CLI, which tears down', async () => {
    const ws = workspace('killed', SMALL_LAB.replace('trials: 3', 'trials: 40'));
    const j = job(ws, { inputs: { 'pr-comment': 'false', baseline: 'false', artifacts: 'false' } });
    const main = j.start('main');
    expect(await waitFor(() => { const id = onlyRun(ws); return id !== undefined && namespacesOf(id).length > 0; }, 120_000)).toBe(true);
    const runId = onlyRun(ws) as string;
    main.child.kill('SIGKILL');
    await main.done;
    const post = await j.run('post');
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(/still runs: sending SIGINT so it tears down/);
    expectNothingLeft(ws, runId);
  });
});
