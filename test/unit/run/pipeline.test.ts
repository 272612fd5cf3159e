// The pipeline with a fake provider (non-root): stages as units over the run folder, a failure
// that still ends in evaluate/report/teardown, a run split over "processes", Ctrl-C, and resume.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../../src/run/pipeline.js';
import { RunStateFile, findRun } from '../../../src/run/state.js';
import { stagesToResume } from '../../../src/run/select.js';
import { deadFleet, FakeProvider, prebuiltProject, quietProgress, workDir } from './helpers.js';

const root = workDir('vt-pipeline-');
const savedStateDir = process.env.VPS_TEST_STATE_DIR;
beforeAll(() => {
  process.env.VPS_TEST_STATE_DIR = join(root, 'registry');
});
afterAll(() => {
  if (savedStateDir === undefined) delete process.env.VPS_TEST_STATE_DIR;
  else process.env.VPS_TEST_STATE_DIR = savedStateDir;
  rmSync(root, { recursive: true, force: true });
});

function project(name: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return { dir, ...prebuiltProject(dir) };
}

const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('runPipeline with a fake provider', () => {
  it('writes every stage output to the run folder, and a failed deploy still evaluates, reports and tears down', async () => {
    const p = project('deploy-fails');
    const provider = new FakeProvider((run) => deadFleet(run.runId, p.dir));
    const progress = quietProgress();
    const out = await runPipeline({ runId: 'unitfull', runsRoot: join(p.dir, 'runs'), loaded: p.loaded, plan: p.plan, provider, progress, cwd: p.dir });
    expect(out.exitCode).toBe(2);
    expect(out.verdict).toBe('error');
    expect(out.reasons.join('\n')).toMatch(/deploy failed: .*boot/);
    const dir = out.runDir;
    for (const f of ['state.json', 'plan.json', 'config.json', 'artifacts.json', 'fleet.json', 'results.json', 'report.md', 'run.log']) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(existsSync(join(dir, 'deployment.json'))).toBe(false);
    const artifacts = json(join(dir, 'artifacts.json')).artifacts;
    expect(artifacts[0]).toMatchObject({ target: expect.any(String), path: expect.stringMatching(/^build\//), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(json(join(dir, 'plan.json'))).toEqual(JSON.parse(JSON.stringify(p.plan)));
    expect(provider.calls).toEqual(['check', 'provision', 'destroy']);
    const state = json(join(dir, 'state.json'));
    expect(state.fleetUp).toBe(false);
    expect(state.stages.map((s: { stage: string; status: string }) => `${s.stage}:${s.status}`)).toEqual(['plan:done', 'build:done', 'provision:done', 'deploy:failed', 'evaluate:done', 'report:done', 'teardown:done']);
    // nothing secret in the state the stages pass on
    for (const f of ['state.json', 'fleet.json', 'plan.json', 'config.json', 'artifacts.json']) expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/PRIVATE KEY/);
    expect(readFileSync(join(dir, 'run.log'), 'utf8')).toMatch(/deploy FAILED/);
  });

  it('runs a run split over processes: build+provision leave the fleet up, a later process tears it down', async () => {
    const p = project('split');
    const provider = new FakeProvider((run) => deadFleet(run.runId, p.dir));
    const first = await runPipeline({ runId: 'unitsplit', runsRoot: join(p.dir, 'runs'), loaded: p.loaded, plan: p.plan, provider, progress: quietProgress(), cwd: p.dir, stages: ['plan', 'build', 'provision'] });
    expect(first.exitCode).toBe(0);
    expect(first.verdict).toBeUndefined();
    expect(first.completed).toEqual(['plan', 'build', 'provision']);
    expect(provider.calls).toEqual(['check', 'provision']);
    // "another process": the run found by id from the registry, the plan read back from plan.json
    const again = findRun('unitsplit', join(root, 'elsewhere'));
    expect(again?.dir).toBe(first.runDir);
    expect(again?.state.fleetUp).toBe(true);
    const second = await runPipeline({ runId: 'unitsplit', existing: again!, provider, progress: quietProgress(), stages: ['evaluate', 'report', 'teardown'] });
    expect(second.completed).toEqual(['evaluate', 'report', 'teardown']);
    expect(provider.calls).toEqual(['check', 'provision', 'destroy']);
    expect(RunStateFile.load(first.runDir).state.fleetUp).toBe(false);
    // evaluated against the plan it read back (its project), with nothing measured
    const results = json(join(first.runDir, 'results.json'));
    expect(results).toMatchObject({ run_id: 'unitsplit', project: 'fake' });
    expect(results.verdict).not.toBe('pass');
  });

  it('Ctrl-C during provision exits 130 at once and tears down what it made', async () => {
    const p = project('sigint');
    let started = 0;
    const provider = new FakeProvider((run) => deadFleet(run.runId, p.dir), {
      provision: (run) =>
        new Promise((_resolve, reject) => {
          started = Date.now();
          setTimeout(() => process.emit('SIGINT', 'SIGINT'), 50);
          run.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    });
    const out = await runPipeline({ runId: 'unitsigint', runsRoot: join(p.dir, 'runs'), loaded: p.loaded, plan: p.plan, provider, progress: quietProgress(), cwd: p.dir });
    expect(out.exitCode).toBe(130);
    expect(out.interrupted).toBe('SIGINT');
    expect(Date.now() - started).toBeLessThan(10_000); // generous: a loaded machine, but never "after the stage"
    expect(provider.calls).toEqual(['check', 'provision', 'destroy']);
    const state = json(join(out.runDir, 'state.json'));
    expect(state.fleetUp).toBe(false);
    expect(state.stages.find((s: { stage: string }) => s.stage === 'provision').error).toBe('interrupted by SIGINT');
  });

  it('resumes after a controller died mid-provision: leftovers removed first, then the rest of the run', async () => {
    const p = project('resume');
    const provider = new FakeProvider((run) => deadFleet(run.runId, p.dir));
    await runPipeline({ runId: 'unitresume', runsRoot: join(p.dir, 'runs'), loaded: p.loaded, plan: p.plan, provider, progress: quietProgress(), cwd: p.dir, stages: ['plan', 'build'] });
    // what kill -9 during provision leaves: a running record and fleetUp
    const crashed = findRun('unitresume')!;
    crashed.update({ fleetUp: true, controller: { pid: 999_999_999, host: crashed.state.controller!.host } });
    crashed.begin('provision');
    const left = stagesToResume(RunStateFile.load(crashed.dir).state);
    expect(left).toEqual(['provision', 'deploy', 'test', 'evaluate', 'report', 'teardown']);
    const out = await runPipeline({ runId: 'unitresume', existing: RunStateFile.load(crashed.dir), provider, progress: quietProgress(), stages: left });
    expect(provider.calls).toEqual(['check', 'destroy', 'provision', 'destroy']);
    expect(out.verdict).toBe('error'); // the fake fleet can not be deployed to
    expect(RunStateFile.load(crashed.dir).state.fleetUp).toBe(false);
  });

  it('a run folder that can not be written ends in teardown and a message naming the run', async () => {
    const p = project('unwritable');
    const provider = new FakeProvider((run) => deadFleet(run.runId, p.dir));
    const runsRoot = join(p.dir, 'runs');
    // plan.json is a directory: every write of it fails (EISDIR), as ENOSPC would
    mkdirSync(join(runsRoot, 'unitfull2', 'plan.json'), { recursive: true });
    const out = await runPipeline({ runId: 'unitfull2', runsRoot, loaded: p.loaded, plan: p.plan, provider, progress: quietProgress(), cwd: p.dir });
    expect(out.exitCode).toBe(2);
    expect(out.reasons.join('\n')).toMatch(/plan failed: .*EISDIR/);
    expect(provider.calls).toEqual(['check']); // nothing provisioned, nothing to tear down
  });
});
