// Stages as units on a real lab, driven as a user (or a CI job) drives them: a run split over
// processes and directories, kill -9 of the controller then --resume from elsewhere, status of
// an orphan, stop from another process, down --all next to another registry's lab, and
// Ctrl-C during a slow deploy. Each case has its own run registry (VPS_TEST_STATE_DIR).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/lab-runs.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping lifecycle tests: they need root (network namespaces, nftables, sshd)');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-lifecycle-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The default example with fewer trials (the NAT matrix, all six NAT cases). */
function exampleWith(trials: number): string {
  const text = readFileSync(join(REPO_ROOT, 'examples/lab-nat-matrix.yml'), 'utf8');
  expect(text).toMatch(/trials: 10\n/);
  return text.replace('trials: 10\n', `trials: ${trials}\n    min_attempts: ${trials}\n`);
}

function dirs(name: string, config?: string): { a: string; b: string; state: string; env: NodeJS.ProcessEnv } {
  const base = join(work, name);
  const a = join(base, 'a');
  const b = join(base, 'b');
  for (const d of [a, b]) mkdirSync(d, { recursive: true });
  if (config) writeFileSync(join(a, '.vps-test.yml'), config);
  const state = join(base, 'registry');
  return { a, b, state, env: { VPS_TEST_STATE_DIR: state } };
}

interface Results {
  verdict: string;
  categories: Record<string, { attempts: number; successes: number; judged: boolean }>;
  pairs: { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number }[];
}

function comparable(r: Results) {
  return { verdict: r.verdict, categories: r.categories, pairs: r.pairs.map((p) => [p.suite, p.from, p.to, p.expected_path, p.observed_path, p.attempts, p.successes]) };
}

function runDirOf(cwd: string, runId: string): string {
  return join(cwd, '.vps-test', 'runs', runId);
}

function expectNothingLeft(runDir: string, runId: string): void {
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
  const state = JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as { fleetUp: boolean };
  expect(state.fleetUp).toBe(false);
}

describe.skipIf(!isRoot)('stages as units on the lab', () => {
  it('a run split over three processes and directories gives the results of one run', async () => {
    const d = dirs('split', exampleWith(3));
    const one = await runCli(['run', '--yes', '--run-id', 'ltone'], d.a, d.env);
    expect(one.code, one.stdout + one.stderr).toBe(0);
    const whole = JSON.parse(readFileSync(join(runDirOf(d.a, 'ltone'), 'results.json'), 'utf8')) as Results;

    const first = await runCli(['run', '--yes', '--run-id', 'ltsplit', '--stages', 'build,provision,deploy'], d.a, d.env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/ltsplit: plan, build, provision, deploy done/);
    const runDir = runDirOf(d.a, 'ltsplit');
    for (const f of ['plan.json', 'config.json', 'artifacts.json', 'fleet.json', 'deployment.json']) expect(existsSync(join(runDir, f)), f).toBe(true);
    const deployment = JSON.parse(readFileSync(join(runDir, 'deployment.json'), 'utf8')) as { server: { node: string; ip: string; port: number } };
    expect(deployment.server).toMatchObject({ node: 'bootstrap', port: 9000 });
    expect(namespacesOf('ltsplit').length).toBeGreaterThan(0);
    const runLog = await runCli(['logs', 'ltsplit'], d.b, d.env);
    expect(runLog.code, runLog.stderr).toBe(0);
    expect(runLog.stdout).toMatch(/deploy done in/);
    const nodeLog = await runCli(['logs', 'ltsplit', '--node', 'bootstrap'], d.b, d.env);
    expect(nodeLog.code, nodeLog.stderr).toBe(0);
    expect(nodeLog.stdout).toMatch(/listening on udp\/9000/); // the rendezvous server's own log, over SSH

    const second = await runCli(['run', '--run', 'ltsplit', '--stages', 'test,evaluate,report'], d.b, d.env);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/\] (build|provision|deploy) \.\.\./);
    const split = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Results;
    expect(comparable(split)).toEqual(comparable(whole));
    expect(existsSync(join(d.b, '.vps-test'))).toBe(false); // the run stayed in its own folder

    const down = await runCli(['down', 'ltsplit'], d.b, d.env);
    expect(down.code, down.stderr).toBe(0);
    expectNothingLeft(runDir, 'ltsplit');
    expectNothingLeft(runDirOf(d.a, 'ltone'), 'ltone');
  });

  it('kill -9 of the controller during test: status shows the orphan, --resume from elsewhere finishes and leaves nothing', async () => {
    const d = dirs('resume', exampleWith(6));
    const run = startCli(['run', '--yes', '--run-id', 'ltkill'], d.a, d.env);
    await waitFor(run, /round 1\/6 done/);
    run.child.kill('SIGKILL');
    await run.done;
    const runDir = runDirOf(d.a, 'ltkill');
    expect(namespacesOf('ltkill').length).toBeGreaterThan(0); // the lab outlived its controller

    const status = await runCli(['status', '--json'], d.b, d.env);
    expect(status.code, status.stderr).toBe(0);
    const listed = JSON.parse(status.stdout) as { runs: { runId: string; condition: string; stage: string; controller: { liveness: string }; fleetUp: boolean }[] };
    expect(listed.runs.find((r) => r.runId === 'ltkill')).toMatchObject({ condition: 'orphaned', stage: 'test', controller: { liveness: 'dead' }, fleetUp: true });

    const resumed = await runCli(['run', '--resume', 'ltkill'], d.b, d.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run ltkill at deploy \(stages: deploy, test, evaluate, report, teardown\)/);
    expect(resumed.stdout).toMatch(/ltkill: PASS/);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Results;
    expect(results.categories.direct!.attempts).toBe(60); // 10 pairs x 6 trials: the test ran whole, once
    expectNothingLeft(runDir, 'ltkill');
  });

  it('kill -9 of the controller during deploy, then --resume from elsewhere redeploys and finishes', async () => {
    const config = `project: kill-deploy
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: a, nat: full-cone }
    - { name: b }
service:
  command: "sh -c 'sleep 4; echo ready; exec sleep 600'"
  ready: { log: "ready", timeout: 60s }
tests:
  connectivity: { trials: 3, min_attempts: 3 }
`;
    const d = dirs('kill-deploy', config);
    const run = startCli(['run', '--yes', '--run-id', 'ltkdep'], d.a, d.env);
    await waitFor(run, /rendezvous \+ relay on bootstrap/);
    run.child.kill('SIGKILL'); // while the service's readiness is awaited
    await run.done;
    const resumed = await runCli(['run', '--resume', 'ltkdep'], d.b, d.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run ltkdep at deploy/);
    expect(resumed.stderr).toMatch(/service started and ready on 3 nodes/);
    expect(resumed.stdout).toMatch(/ltkdep: PASS/);
    expectNothingLeft(runDirOf(d.a, 'ltkdep'), 'ltkdep');
  });

  it('kill -9 of the controller during provision (a half-built lab), then --resume removes the leftovers and finishes', async () => {
    const d = dirs('kill-prov', exampleWith(3));
    const run = startCli(['run', '--yes', '--run-id', 'ltkprov'], d.a, d.env);
    await waitFor(run, /lab ltkprov: network of \d+ machine/); // the network is built, the sshds are not up yet
    run.child.kill('SIGKILL');
    await run.done;
    expect(namespacesOf('ltkprov').length).toBeGreaterThan(0);
    const resumed = await runCli(['run', '--resume', 'ltkprov'], d.b, d.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    // the kill lands while provisioning or, on a fast machine, just after it finished
    const at = /resuming run ltkprov at (\w+)/.exec(resumed.stderr)?.[1];
    expect(['provision', 'deploy']).toContain(at);
    if (at === 'provision') expect(resumed.stderr).toMatch(/removing what an earlier attempt of this stage left behind/);
    expect(resumed.stdout).toMatch(/ltkprov: PASS/);
    expectNothingLeft(runDirOf(d.a, 'ltkprov'), 'ltkprov');
  });

  it('kill -9 of the controller as the build starts, then --resume finishes from the build', async () => {
    const d = dirs('kill-build', exampleWith(3));
    const run = startCli(['run', '--yes', '--run-id', 'ltkbld'], d.a, d.env);
    await waitFor(run, /\] build \.\.\./);
    run.child.kill('SIGKILL');
    await run.done;
    const resumed = await runCli(['run', '--resume', 'ltkbld'], d.b, d.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run ltkbld at (build|provision)/);
    expect(resumed.stdout).toMatch(/ltkbld: PASS/);
    expectNothingLeft(runDirOf(d.a, 'ltkbld'), 'ltkbld');
  });

  it('stop of an orphan (controller killed) evaluates, reports and tears down by itself', async () => {
    const d = dirs('stop-orphan', exampleWith(20));
    const run = startCli(['run', '--yes', '--run-id', 'ltorph'], d.a, d.env);
    await waitFor(run, /round 1\/20 done/);
    run.child.kill('SIGKILL');
    await run.done;
    const nodes = await runCli(['nodes', 'ltorph'], d.b, d.env);
    expect(nodes.code).toBe(1); // the nodes answer, but the run is not healthy
    expect(nodes.stdout).toMatch(/orphaned/);
    const stop = await runCli(['stop', 'ltorph'], d.b, d.env);
    expect(stop.stderr).toMatch(/its controller \(pid \d+\) is gone; evaluate, report, teardown here/);
    expect(stop.stdout).toMatch(/vps-test stop ltorph: ERROR; fleet down/);
    expect(stop.stdout).toMatch(/controller died during test/);
    const runDir = runDirOf(d.a, 'ltorph');
    expect(existsSync(join(runDir, 'report.md'))).toBe(true);
    expectNothingLeft(runDir, 'ltorph');
  });

  it('stop from another process during test ends with logs, a report and no leaks', async () => {
    const d = dirs('stop', exampleWith(40));
    const run = startCli(['run', '--yes', '--run-id', 'ltstop'], d.a, d.env);
    await waitFor(run, /round 2\/40 done/);
    const follow = startCli(['logs', 'ltstop', '--follow'], d.b, d.env);
    const stop = await runCli(['stop', 'ltstop'], d.b, d.env);
    const r = await run.done;
    const followed = await follow.done; // ends by itself once the controller is gone
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/round 2\/40 done[\s\S]*teardown done/);
    expect(stop.stdout + stop.stderr).toMatch(/asked controller \d+ to stop/);
    expect(stop.stdout).toMatch(/vps-test stop ltstop: ERROR; fleet down/);
    expect(r.stderr).toMatch(/stop requested \(vps-test stop\)/);
    expect(r.stdout).toMatch(/stopped by vps-test stop/);
    const runDir = runDirOf(d.a, 'ltstop');
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as Results & { reasons: string[] };
    expect(results.reasons.join('\n')).toMatch(/test was stopped: stopped by vps-test stop/);
    expect(existsSync(join(runDir, 'report.md'))).toBe(true);
    expect(readdirSync(join(runDir, 'logs')).length).toBe(6); // logs are collected on a graceful stop
    expectNothingLeft(runDir, 'ltstop');
  });

  it("down --all removes this user's runs only and names another registry's lab without touching it", async () => {
    const mine = dirs('all-mine', exampleWith(3));
    const theirs = dirs('all-theirs', exampleWith(3));
    const other = await runCli(['run', '--yes', '--run-id', 'lttheirs', '--stages', 'provision'], theirs.a, theirs.env);
    expect(other.code, other.stdout + other.stderr).toBe(0);
    const own = await runCli(['run', '--yes', '--run-id', 'ltmine', '--stages', 'provision'], mine.a, mine.env);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    try {
      const down = await runCli(['down', '--all'], mine.b, mine.env);
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(/run ltmine: down/);
      expect(down.stdout).toMatch(/not touched: .*lttheirs \(local\)/);
      expectNothingLeft(runDirOf(mine.a, 'ltmine'), 'ltmine');
      expect(namespacesOf('lttheirs').length).toBeGreaterThan(0);
    } finally {
      await runCli(['down', 'lttheirs'], theirs.b, theirs.env);
    }
    expectNothingLeft(runDirOf(theirs.a, 'lttheirs'), 'lttheirs');
  });

  it('Ctrl-C during a deploy whose readiness never comes exits 130 without waiting for it', async () => {
    const config = `project: slow-deploy
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: a, nat: full-cone }
service:
  command: "sleep 600"
  ready: { log: "never printed", timeout: 120s }
tests:
  connectivity: { trials: 2 }
`;
    const d = dirs('sigint-deploy', config);
    const run = startCli(['run', '--yes', '--run-id', 'ltsigdep'], d.a, d.env);
    await waitFor(run, /rendezvous \+ relay on bootstrap/);
    await new Promise((r) => setTimeout(r, 500)); // inside the readiness wait
    const sent = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    const ms = Date.now() - sent;
    console.log(`SIGINT during deploy: exit ${r.code} after ${ms} ms`);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toMatch(/deploy FAILED .*interrupted by SIGINT/);
    expect(ms).toBeLessThan(60_000); // the readiness timeout is 120 s: it was not waited for
    expectNothingLeft(runDirOf(d.a, 'ltsigdep'), 'ltsigdep');
  });
});
