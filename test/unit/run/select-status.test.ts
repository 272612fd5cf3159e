import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSelection, parseStages, stagesToResume } from '../../../src/run/select.js';
import { RunStateFile, findRun, listRuns, type RunState } from '../../../src/run/state.js';
import { RunRegistry, checkRunId, stateDir } from '../../../src/run/registry.js';
import { controllerLiveness, processStartTime, thisController } from '../../../src/run/controller.js';
import { runStatus } from '../../../src/run/status.js';
import { workDir } from './helpers.js';

const root = workDir('vt-select-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function state(done: string[], extra: Partial<RunState> = {}): RunState {
  return { runId: 'r1', createdAt: new Date().toISOString(), configPath: 'c', project: 'p', provider: 'local', keep: false, fleetUp: false, stages: done.map((stage) => ({ stage: stage as never, status: 'done', startedAt: '' })), ...extra };
}

describe('stage selection', () => {
  it('parses stages into pipeline order and names a typo', () => {
    expect(parseStages('test,deploy')).toEqual(['deploy', 'test']);
    expect(() => parseStages('biuld')).toThrow(/unknown stage 'biuld'/);
  });

  it('refuses stages whose inputs exist nowhere, naming the missing stage', () => {
    expect(() => checkSelection(['plan', 'deploy'], undefined)).toThrow(/deploy needs the outputs of build/);
    expect(() => checkSelection(['test'], undefined)).toThrow(/a new run starts with plan/);
    expect(() => checkSelection(['test', 'evaluate', 'report'], state(['plan', 'build', 'provision'], { fleetUp: true }))).toThrow(/test needs the outputs of deploy, which run r1 has not completed/);
    expect(() => checkSelection(['test'], state(['plan', 'build', 'provision', 'deploy', 'teardown']))).toThrow(/no fleet up/);
    expect(() => checkSelection(['plan'], state(['plan']))).toThrow(/planned already/);
    expect(() => checkSelection(['test', 'evaluate', 'report'], state(['plan', 'build', 'provision', 'deploy'], { fleetUp: true }))).not.toThrow();
    expect(() => checkSelection(['plan', 'build', 'provision', 'deploy'], undefined)).not.toThrow();
  });

  it('resumes after the last completed stage, and not at all once torn down', () => {
    // a test to run again starts from a fresh deploy: the services' state died with the controller
    expect(stagesToResume(state(['plan', 'build', 'provision', 'deploy'], { fleetUp: true }))).toEqual(['deploy', 'test', 'evaluate', 'report', 'teardown']);
    expect(stagesToResume(state(['plan', 'build', 'provision', 'deploy', 'test'], { fleetUp: true }))).toEqual(['evaluate', 'report', 'teardown']);
    expect(stagesToResume(state(['plan', 'build', 'provision', 'deploy', 'test', 'evaluate', 'report']))).toEqual(['teardown']);
    expect(stagesToResume(state(['plan', 'build', 'provision', 'deploy', 'test', 'evaluate', 'report', 'teardown']))).toEqual([]);
  });
});

describe('run registry and status', () => {
  it('finds a run by id from any directory, and lists it once', () => {
    const registry = new RunRegistry(join(root, 'reg'));
    const run = RunStateFile.create(join(root, 'projA', 'runs'), { runId: 'abc12', configPath: 'c', project: 'p', provider: 'local', keep: false }, registry);
    expect(findRun('abc12', join(root, 'projB', 'runs'), registry)?.dir).toBe(run.dir);
    expect(listRuns(join(root, 'projA', 'runs'), registry).map((r) => r.state.runId)).toEqual(['abc12']);
    expect(() => RunStateFile.create(join(root, 'projA', 'runs'), { runId: 'abc12', configPath: 'c', project: 'p', provider: 'local', keep: false }, registry)).toThrow(/exists already/);
  });

  it('places the registry by VPS_TEST_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(stateDir({ VPS_TEST_STATE_DIR: '/x/y', XDG_STATE_HOME: '/z' })).toBe('/x/y');
    expect(stateDir({ XDG_STATE_HOME: '/z' })).toBe('/z/vps-test');
    expect(stateDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/vps-test');
    expect(() => checkRunId('Bad-Id')).toThrow(/run id 'Bad-Id'/);
  });

  it('tells a live controller from a dead one, also when its pid is reused', () => {
    expect(controllerLiveness(thisController())).toBe('alive');
    const child = spawnSync('true');
    expect(child.pid).toBeGreaterThan(0);
    expect(controllerLiveness({ pid: child.pid as number, host: thisController().host })).toBe('dead');
    // same pid, another start time: another process
    expect(controllerLiveness({ pid: process.pid, startTime: (processStartTime(process.pid) ?? 0) + 1, host: thisController().host })).toBe('dead');
    expect(controllerLiveness({ pid: process.pid, host: 'another-machine' })).toBe('elsewhere');
  });

  it('calls a run orphaned when a stage was running and its controller is dead', () => {
    const registry = new RunRegistry(join(root, 'reg2'));
    const run = RunStateFile.create(join(root, 'projC', 'runs'), { runId: 'orph1', configPath: 'c', project: 'p', provider: 'local', keep: false }, registry);
    run.update({ fleetUp: true });
    run.begin('test');
    expect(runStatus(run, Date.now(), () => 'dead')).toMatchObject({ condition: 'orphaned', stage: 'test', stageStatus: 'running', fleetUp: true });
    expect(runStatus(run, Date.now(), () => 'alive').condition).toBe('running');
    run.end(run.current()!, 'done');
    expect(runStatus(run, Date.now(), () => 'dead').condition).toBe('fleet up');
    run.update({ fleetUp: false, verdict: 'pass' });
    expect(runStatus(run, Date.now(), () => 'dead').condition).toBe('finished');
  });
});
