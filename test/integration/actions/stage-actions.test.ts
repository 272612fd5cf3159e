// The stage actions run from dist/ under Node 24 as the runner runs them. A run crosses jobs by
// run id and a run-state artifact holding no key: a lab brought up in one job (workspace) is torn
// down by the teardown action in another, from the artifact alone.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJob, REPO_ROOT } from '../../fakes/github/runner.js';
import { namespacesOf } from '../../helpers/cli.js';
import { localStateStore } from '../../../src/actions/common/clients.js';
import { stateArtifactName, stateArtifactPrefix, stateFiles } from '../../../src/report/sinks/run-state-artifact.js';
import { scanForSecrets } from './secret-scan.js';
import { writeFileSync } from 'node:fs';

const isRoot = process.getuid?.() === 0;
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vt-stage-'));
  chmodSync(work, 0o755);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const stageJob = (stage: string, ws: string, inputs: Record<string, string>, artifacts: string) =>
  new FakeJob({ actionDir: join(REPO_ROOT, 'actions', stage), workspace: ws, eventName: 'workflow_dispatch', inputs, env: { VPS_TEST_LOCAL_ARTIFACT_DIR: artifacts } });

describe('stage actions', () => {
  it('a stage other than build/provision needs the run id, and says so', async () => {
    const ws = join(work, 'no-id', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await stageJob('report', ws, {}, join(work, 'no-id', 'artifacts')).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::input run-id: the report action needs the run id/);
  });

  it('teardown of a run nothing is known about fails, pointing at the janitor', async () => {
    const ws = join(work, 'unknown', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await stageJob('teardown', ws, { 'run-id': 'zzzzz' }, join(work, 'unknown', 'artifacts')).run('main');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::teardown: nothing is known about run zzzzz here .*janitor/);
  });

  it('provision names what this CLI lacks (--stages) instead of running the whole pipeline', async () => {
    const help = execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), 'run', '--help'], { encoding: 'utf8' });
    const ws = join(work, 'prov', 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, '.vps-test.yml'), 'project: p\nfleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a }\n');
    const r = await stageJob('provision', ws, {}, join(work, 'prov', 'artifacts')).run('main');
    if (help.includes('--stages')) {
      // A CLI with stages runs it: whatever it did, it must not be this refusal, and nothing stays up.
      expect(r.stdout).not.toMatch(/has no --stages/);
      for (const id of existsSync(join(ws, '.vps-test', 'runs')) ? readdirSync(join(ws, '.vps-test', 'runs')) : []) execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), 'down', id], { cwd: ws, stdio: 'ignore' });
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::vps-test provision: this vps-test CLI has no --stages/);
    expect(existsSync(join(ws, '.vps-test'))).toBe(false);
  });
});

describe('janitor action', () => {
  it('without a janitor command in the CLI it fails saying nothing was swept', async () => {
    const usage = execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), '--help'], { encoding: 'utf8' });
    const ws = join(work, 'janitor', 'ws');
    mkdirSync(ws, { recursive: true });
    const r = await stageJob('janitor', ws, {}, join(work, 'janitor', 'artifacts')).run('main');
    if (/^\s+janitor\s/m.test(usage)) return expect(r.stdout).not.toMatch(/no `janitor` command/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::janitor: this vps-test CLI has no `janitor` command yet; nothing was swept/);
  });
});

describe.skipIf(!isRoot)('a run across jobs', () => {
  it('a lab up in one job is torn down by the teardown action in another, from a state artifact without keys', async () => {
    const ws1 = join(work, 'job1', 'ws');
    const ws2 = join(work, 'job2', 'ws');
    const artifacts = join(work, 'artifacts');
    for (const d of [ws1, ws2]) mkdirSync(d, { recursive: true });
    writeFileSync(join(ws1, '.vps-test.yml'), 'project: cross\nfleet:\n  nodes:\n    - { name: boot, role: bootstrap }\n    - { name: a }\n');
    execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), 'up'], { cwd: ws1, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    const runId = readdirSync(join(ws1, '.vps-test', 'runs'))[0] as string;
    try {
      expect(namespacesOf(runId).length).toBeGreaterThan(0);
      const runDir = join(ws1, '.vps-test', 'runs', runId);
      expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(true); // the key exists in job 1 ...
      // ... and job 1's stage action saves the state the same way (stage.ts)
      const files = await stateFiles(runDir);
      expect(files.some((f) => f.includes('/lab/'))).toBe(false);
      await localStateStore(artifacts).upload(stateArtifactName(runId, 'provision', 1), files, runDir);
      expect(readdirSync(artifacts)).toContain(`${stateArtifactPrefix(runId)}provision-attempt1`);
      expect(scanForSecrets(artifacts)).toEqual([]);

      const r = await stageJob('teardown', ws2, { 'run-id': runId }, artifacts).run('main');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`run ${runId}: state restored from artifact ${stateArtifactPrefix(runId)}provision-attempt1`));
      expect(r.outputs['run-id']).toBe(runId);
      expect(namespacesOf(runId)).toEqual([]);
      const state = JSON.parse(readFileSync(join(ws2, '.vps-test', 'runs', runId, 'state.json'), 'utf8')) as { fleetUp: boolean };
      expect(state.fleetUp).toBe(false);
      expect(readdirSync(artifacts)).toContain(`${stateArtifactPrefix(runId)}teardown-attempt1`);
    } finally {
      execFileSync(process.execPath, [join(REPO_ROOT, 'dist/cli.js'), 'down', runId], { cwd: ws1, stdio: 'ignore' });
    }
  });
});
