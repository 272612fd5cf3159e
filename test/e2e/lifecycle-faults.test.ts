// Faults end in a verdict, fast: a node whose sshd dies or freezes mid-run is named unreachable
// and the run ends soon after; Ctrl-C to the controller alone during a cold build stops zig; a
// full runs folder ends in a clear message with the run id and a teardown.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, runCli, startCli } from '../helpers/cli.js';

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

async function waitFor(run: ReturnType<typeof startCli>, pattern: RegExp, ms = 240_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(run.output()) && Date.now() < deadline && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(run.output()).toMatch(pattern);
}

/** The lab sshd of one node and every sshd process under it (its sessions). */
function sshdTree(runDir: string, node: string): number[] {
  const master = Number(readFileSync(join(runDir, 'lab', '.sshd', `${node}.pid`), 'utf8').trim());
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/));
  const tree = new Set([master]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid, comm] of rows) {
      if (comm === 'sshd' && tree.has(Number(ppid)) && !tree.has(Number(pid))) {
        tree.add(Number(pid));
        grew = true;
      }
    }
  }
  return [...tree];
}

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
      const r = await run.done;
      const afterFault = Date.now() - faultAt;
      console.log(`sshd ${fault} on node b: the run ended ${afterFault} ms after the fault`);
      const state = JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as { unreachable?: { node: string; since: string }[]; fleetUp: boolean };
      expect(state.unreachable?.map((u) => u.node)).toEqual(['b']);
      expect(r.stderr).toMatch(/node b unreachable since \d{4}-/);
      // 8 more rounds at ~20 s each would be minutes; bounded means a couple of timeouts (the
      // suites still probe the node's pairs each round until they skip unreachable nodes)
      expect(afterFault).toBeLessThan(120_000);
      const results = readFileSync(join(runDir, 'results.jsonl'), 'utf8');
      expect(results).toMatch(/node \\"b\\" unreachable since/);
      expect(r.code).not.toBe(0);
      expect(state.fleetUp).toBe(false);
      expectNothingLeft(runDir, id);
    });
  }

  it('Ctrl-C to the controller alone during a cold build stops zig and exits 130', async () => {
    const { cwd, env } = caseDir('ftbuild', THREE(2));
    const cache = join(work, 'ftbuild', 'zig-cache');
    const run = startCli(['run', '--yes', '--run-id', 'ftbuild'], cwd, { ...env, ZIG_GLOBAL_CACHE_DIR: cache });
    await waitFor(run, /building vps-agent/);
    await new Promise((r) => setTimeout(r, 2000));
    expect(processesMentioning(cache).length).toBeGreaterThan(0); // zig is compiling
    const sent = Date.now();
    run.child.kill('SIGINT'); // the controller's pid only, not its process group
    const r = await run.done;
    console.log(`SIGINT during a cold build: exit ${r.code} after ${Date.now() - sent} ms`);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toMatch(/build FAILED .*interrupted by SIGINT/);
    await new Promise((res) => setTimeout(res, 1500)); // SIGKILL follows SIGTERM after 1 s
    expect(processesMentioning(cache)).toEqual([]);
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
      expect(r.stdout + r.stderr).toMatch(/ENOSPC|no space left/i);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at .*\.ts:\d+/m); // a message, not a stack trace
      expect(namespacesOf('ftfull')).toEqual([]);
      expect(processesMentioning(join(runs, 'runs', 'ftfull'))).toEqual([]);
      expect(existsSync(join(runs, 'runs', 'ftfull', 'lab', 'keys', 'client'))).toBe(false);
    } finally {
      execFileSync('umount', [runs]);
    }
  });
});
