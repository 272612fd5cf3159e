// Faults end in a verdict, fast: a node whose sshd dies or freezes mid-run is named unreachable
// and the run ends soon after; Ctrl-C to the controller alone during a cold build stops zig; a
// full runs folder ends in a clear message with the run id and a teardown.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli, startCli } from '../helpers/cli.js';
import { waitFor, sshdTree } from '../helpers/lab-runs.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping lifecycle fault tests: they need root (network namespaces, nftables, sshd, mount)');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-faults-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function caseDir(name: string, config: string): { cwd: string; env: NodeJS.ProcessEnv } {
  const cwd = join(work, name);
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, '.vps-test.yml'), config);
  return { cwd, env: { VPS_TEST_STATE_DIR: join(work, name, 'registry') } };
}

const THREE = (trials: number) => `project: faults
fleet:
  nodes:
    - { name: bootstrap, role: bootstrap }
    - { name: a, nat: full-cone }
    - { name: b }
tests:
  connectivity: { trials: ${trials}, min_attempts: 2 }
`;

/**
 * The agent's sources as a user's own C project: a real zig compile on a cold cache (the
 * reference agent itself comes prebuilt when its content key matches, so it never compiles here).
 * The run is interrupted during the build, so the subject command never runs.
 */
const COLD_BUILD = `${THREE(2)}build: { kind: c, source: ${JSON.stringify(join(REPO_ROOT, 'agent', 'src'))}, binary: vps-agent }
subject: { driver: command, connect: { run: "{bin} --version" } }
`;

function expectNothingLeft(runDir: string, runId: string): void {
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
}

describe.skipIf(!isRoot)('faults end in a verdict, fast', () => {
  for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
    it(`a node whose sshd gets ${fault} mid-run is named unreachable and the run ends`, async () => {
      const id = fault === 'SIGKILL' ? 'ftkill' : 'ftstop';
      const { cwd, env } = caseDir(id, THREE(10));
      const run = startCli(['run', '--yes', '--run-id', id], cwd, env);
      await waitFor(run, /round 2\/10 done/);
      const runDir = join(cwd, '.vps-test', 'runs', id);
      const pids = sshdTree(runDir, 'b');
      const faultAt = Date.now();
      for (const pid of pids) process.kill(pid, fault);
      await waitFor(run, /node b unreachable since/, 120_000);
      const marked = Date.now() - faultAt;
      const r = await run.done;
      const afterFault = Date.now() - faultAt;
      console.log(`sshd ${fault} on node b: marked unreachable ${marked} ms and the run ended ${afterFault} ms after the fault`);
      const state = JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as { unreachable?: { node: string; since: string }[]; fleetUp: boolean };
      expect(state.unreachable?.map((u) => u.node)).toEqual(['b']);
      expect(r.stderr).toMatch(/node b unreachable since \d{4}-/);
      // 8 more rounds at ~20 s each would be minutes; bounded means a couple of timeouts, then
      // the suites skip the node (the bound: a verdict within 30 s of the fault)
      expect(afterFault).toBeLessThan(30_000);
      // b's pairs after it was marked: failed with the node and the round, never probed, never absent
      const attempts = readFileSync(join(runDir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; from?: string; to?: string; trial?: number; ok?: boolean; error?: string }).filter((e) => e.type === 'attempt');
      const skipped = attempts.filter((e) => /^node b unreachable since round \d+ of connectivity$/.test(e.error ?? ''));
      expect(skipped.length).toBeGreaterThan(0);
      const since = Number(/round (\d+)/.exec(skipped[0]?.error ?? '')?.[1]);
      expect(since).toBeGreaterThanOrEqual(3); // the fault came after round 2
      expect(skipped.every((e) => e.ok === false && (e.from === 'b' || e.to === 'b'))).toBe(true);
      // 6 ordered pairs in each of 10 rounds, all recorded; every pair of b after round `since` is a skipped one
      expect(attempts).toHaveLength(60);
      const later = attempts.filter((e) => (e.from === 'b' || e.to === 'b') && (e.trial ?? 0) % 10_000 > since);
      expect(later.length).toBeGreaterThan(0);
      expect(later.every((e) => skipped.includes(e))).toBe(true);
      // evaluation names it: the node's status and a reason of the verdict
      const evaluated = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; nodes: { name: string; status: string }[]; reasons: string[] };
      // one of three unreachable, the other pairs fine: degraded (its pairs are judged by that rule)
      expect(evaluated.verdict, evaluated.reasons.join('\n')).toBe('degraded');
      expect(evaluated.nodes.find((n) => n.name === 'b')?.status).toBe('unreachable');
      expect(evaluated.reasons.join('\n')).toMatch(/unreachable: b/);
      expect(r.stdout).toMatch(/unreachable: b/);
      expect(state.fleetUp).toBe(false);
      expectNothingLeft(runDir, id);
    });
  }

  it('Ctrl-C to the controller alone during a cold build stops zig and exits 130', async () => {
    const { cwd, env } = caseDir('ftbuild', COLD_BUILD);
    const cache = join(work, 'ftbuild', 'zig-cache');
    const buildDir = join(cwd, '.vps-test', 'runs', 'ftbuild', 'build');
    const run = startCli(['run', '--yes', '--run-id', 'ftbuild'], cwd, { ...env, ZIG_GLOBAL_CACHE_DIR: cache });
    try {
      await waitFor(run, /building vps-agent/);
      await new Promise((r) => setTimeout(r, 2000));
      expect(processesMentioning(buildDir).length).toBeGreaterThan(0); // zig is compiling (cold cache)
      const sent = Date.now();
      run.child.kill('SIGINT'); // the controller's pid only, not its process group
      const r = await run.done;
      console.log(`SIGINT during a cold build: exit ${r.code} after ${Date.now() - sent} ms`);
      expect(r.code, r.stdout + r.stderr).toBe(130);
      expect(r.stderr).toMatch(/build FAILED .*interrupted by SIGINT/);
      await new Promise((res) => setTimeout(res, 1500)); // SIGKILL follows SIGTERM after 1 s
      expect(processesMentioning(buildDir)).toEqual([]);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGINT');
      await run.done;
    }
  });

  it('a build left compiling by a controller killed with -9 is ended by down from elsewhere', async () => {
    const { cwd, env } = caseDir('ftkbuild', COLD_BUILD);
    const buildDir = join(cwd, '.vps-test', 'runs', 'ftkbuild', 'build');
    const run = startCli(['run', '--yes', '--run-id', 'ftkbuild'], cwd, { ...env, ZIG_GLOBAL_CACHE_DIR: join(work, 'ftkbuild', 'zig-cache') });
    try {
      await waitFor(run, /building vps-agent/);
      await new Promise((r) => setTimeout(r, 1500));
      run.child.kill('SIGKILL');
      await run.done;
      expect(processesMentioning(buildDir).length).toBeGreaterThan(0); // zig outlived its controller
      const down = await runCli(['down', 'ftkbuild'], work, env);
      expect(down.code, down.stdout + down.stderr).toBe(0);
      expect(down.stderr).toMatch(/ended process group \d+ left running by the dead controller/);
      await new Promise((r) => setTimeout(r, 500));
      expect(processesMentioning(buildDir)).toEqual([]);
    } finally {
      for (const line of processesMentioning(buildDir)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    }
  });

  it('a runs folder on a 96 KiB tmpfs ends in a clear message with the run id and a teardown', async () => {
    const { cwd, env } = caseDir('ftfull', THREE(2));
    const runs = join(cwd, '.vps-test');
    mkdirSync(runs, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', runs]);
    try {
      const r = await runCli(['run', '--yes', '--run-id', 'ftfull'], cwd, env);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/ftfull/);
      expect(r.stdout).toMatch(/run folder .*ftfull has only \d+ KiB free/);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at .*\.ts:\d+/m); // a message, not a stack trace
      expect(namespacesOf('ftfull')).toEqual([]);
      expect(processesMentioning(join(runs, 'runs', 'ftfull'))).toEqual([]);
      expect(existsSync(join(runs, 'runs', 'ftfull', 'lab', 'keys', 'client'))).toBe(false);
    } finally {
      execFileSync('umount', [runs]);
    }
  });
});
