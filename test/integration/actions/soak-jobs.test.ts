// The jobs of .github/workflows/soak.yml, each as its stage actions run from dist/ under Node 24
// in a fresh workspace (as a runner starts a job): start (build, provision, deploy, the first
// test), one job per checkpoint (`checkpoint: next`), report, teardown. The run crosses jobs by
// run id and the state artifact alone (through the real @actions/artifact client against the
// results-service stand-in, which refuses a name used twice); the SSH client key is derived from
// the ssh-secret input in every job, its file deleted between jobs. Nothing secret in any artifact.
// The jobs alternate between a runner like GitHub's (a non-root user with passwordless sudo: the
// stage bundle re-executes the CLI under sudo -E) and a root runner (self-hosted), so the one
// stage entry point (dist/actions/stage.js) is run both ways on one run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRunnerUser, FakeJob, REPO_ROOT, type RunnerUser, type StepResult } from '../../fakes/github/runner.js';
import { FakeArtifactService, fakeRuntimeToken } from '../../fakes/github/artifact-service.js';
import { namespacesOf } from '../../helpers/cli.js';
import { stateArtifactPrefix } from '../../../src/report/sinks/run-state-artifact.js';
import { scanForSecrets } from './secret-scan.js';

const isRoot = process.getuid?.() === 0;
const SECRET = 'soak workflow secret of this test';
const CONFIG = `project: soakjobs
build:
  kind: agent
fleet:
  provider: local
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: public, nat: none }
    - { name: fullcone, nat: full-cone }
tests:
  connectivity:
    trials: 2
    min_attempts: 2
    criteria: { direct: 99, nat_traversed: 85 }
soak:
  checkpoints: [2s, 3s]
  regression_tolerance: 50
`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vt-soakjobs-'));
  chmodSync(work, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A job's fresh workspace with the repository checked out (its config). */
function workspace(job: string): string {
  const ws = join(work, job, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, '.vps-test.yml'), CONFIG);
  return ws;
}

const unzip = (zip: Buffer, dir: string): void => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}.zip`, zip);
  execFileSync('python3', ['-c', 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', `${dir}.zip`, dir]);
};

describe.skipIf(!isRoot)('the soak workflow, job by job (stage actions from dist, Node 24)', () => {
  const service = new FakeArtifactService();
  let runner: RunnerUser & { remove: () => void };
  beforeAll(async () => {
    await service.start();
    runner = createRunnerUser(`vtsoak${process.pid % 10000}`, true);
  });
  afterAll(async () => {
    runner?.remove();
    await service.stop();
  });

  it('start -> a job per checkpoint -> report -> teardown, from the state artifact and the ssh-secret alone', async () => {
    // the workflow itself: a matrix over the checkpoints the start job reports, each job running the next one
    const wf = parse(readFileSync(join(REPO_ROOT, '.github/workflows/soak.yml'), 'utf8')) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[]; strategy?: { matrix: Record<string, string> } }> };
    expect(wf.jobs.checkpoint?.strategy?.matrix.checkpoint).toBe('${{ fromJSON(needs.start.outputs.checkpoints) }}');
    expect(wf.jobs.checkpoint?.steps.find((s) => s.uses?.includes('/actions/soak@'))?.with?.checkpoint).toBe('next');
    expect(wf.jobs.start?.steps.map((s) => s.uses?.replace(/^.*\/actions\/(\w+)@.*$/, '$1')).filter((u) => u && !u.includes('/'))).toEqual(['build', 'provision', 'deploy', 'test']);

    const env = { ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken(), ACTIONS_RESULTS_URL: service.url };
    const job = (stage: string, ws: string, inputs: Record<string, string>, asRunner = false) => new FakeJob({ actionDir: join(REPO_ROOT, 'actions', stage), workspace: ws, eventName: 'workflow_dispatch', inputs, env, ...(asRunner && { user: runner }) });
    const elevated = (r: StepResult) => expect(r.stdout, r.stdout + r.stderr).toMatch(/\(under sudo -E\)/);
    const ok = (r: StepResult, what: string) => expect(r.code, `${what}:\n${r.stdout}\n${r.stderr}`).toBe(0);

    // job "start": build (the composite's stage step, with the choices), provision, deploy, test
    const ws1 = workspace('start');
    const build = await job('build', ws1, { focus: 'connectivity' }).runScript('../../dist/actions/stage.js', { INPUT_STAGE: 'build', INPUT_CONFIG: '.vps-test.yml', 'INPUT_RUN-ID': '', INPUT_FOCUS: 'connectivity' });
    ok(build, 'build');
    const runId = build.outputs['run-id'] as string;
    expect(runId).toMatch(/^[a-z][a-z0-9]{4}$/);
    expect(JSON.parse(build.outputs['soak-checkpoints'] ?? 'null')).toEqual(['2s', '3s']);
    const keyFile = join(ws1, '.vps-test', 'runs', runId, 'lab', 'keys', 'client');
    try {
      // provision and test as the sudo runner user, deploy as root, in one workspace
      for (const stage of ['provision', 'deploy', 'test']) {
        const r = await job(stage, ws1, { 'run-id': runId, 'ssh-secret': SECRET }, stage !== 'deploy').run('main');
        ok(r, stage);
        if (stage !== 'deploy') elevated(r);
        else expect(r.stdout).not.toMatch(/under sudo/);
      }
      expect(namespacesOf(runId).length).toBeGreaterThan(0);

      // a job per checkpoint, each in a fresh workspace without the key file
      for (const [n, cp] of ['2s', '3s'].entries()) {
        rmSync(keyFile, { force: true });
        const r = await job('soak', workspace(`checkpoint${n}`), { 'run-id': runId, 'ssh-secret': SECRET, checkpoint: 'next' }, n === 1).run('main');
        ok(r, `checkpoint ${cp}`);
        if (n === 1) elevated(r);
        expect(r.stdout).toMatch(new RegExp(`run ${runId}: state restored from artifact ${stateArtifactPrefix(runId)}${n === 0 ? 'test' : 'soak-[a-z0-9]+'}-attempt1`));
        expect(r.stdout + r.stderr).toMatch(/client key SHA256:\S+ regenerated from VPS_TEST_SSH_SECRET/);
        expect(r.stdout + r.stderr).toMatch(new RegExp(`soak: checkpoint ${cp} done: \\d+ result lines`));
        expect(r.stdout + r.stderr).not.toMatch(new RegExp(`soak: checkpoint ${n === 0 ? '3s' : '2s'} done`));
        expect(r.outputs.verdict).toBe(n === 0 ? 'degraded' : 'pass'); // 3s not run yet after the first
      }

      // job "report": the soak folded in, from the newest state
      const ws4 = workspace('report');
      const report = await job('report', ws4, { 'run-id': runId, 'pr-comment': 'false' }).run('main');
      ok(report, 'report');
      expect(report.outputs.verdict).toBe('pass');
      const results = JSON.parse(readFileSync(join(ws4, '.vps-test', 'runs', runId, 'results.json'), 'utf8')) as { soak?: { checkpoint: string }[] };
      expect(results.soak?.map((s) => s.checkpoint)).toEqual(['start', '2s', '3s']);

      // job "teardown": the fleet and its key go, from the artifact alone
      const down = await job('teardown', workspace('teardown'), { 'run-id': runId, 'ssh-secret': SECRET }, true).run('main');
      ok(down, 'teardown');
      elevated(down);
      expect(namespacesOf(runId)).toEqual([]);
      expect(existsSync(keyFile)).toBe(false);
    } finally {
      if (namespacesOf(runId).length) execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), 'down', runId], { cwd: ws1, stdio: 'ignore' });
    }

    const names = service.artifacts.map((a) => a.name);
    expect(names.filter((n) => n.startsWith(stateArtifactPrefix(runId))).map((n) => n.replace(/soak-[a-z0-9]+/, 'soak-*'))).toEqual(
      ['build', 'provision', 'deploy', 'test', 'soak-*', 'soak-*', 'report', 'teardown'].map((s) => `${stateArtifactPrefix(runId)}${s}-attempt1`),
    );
    expect(service.problems).toEqual([]);
    // what travelled: no private key, no token, not the secret
    for (const a of service.artifacts) unzip(a.blob as Buffer, join(work, 'artifacts', a.name));
    expect(scanForSecrets(join(work, 'artifacts'), [SECRET])).toEqual([]);
  });
});
