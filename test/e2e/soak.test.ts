// Soak on a real lab, driven as a user drives it: checkpoints of a few seconds re-run the tests on
// the same fleet. A controller killed during a wait is resumed from elsewhere and finishes with
// the same fleet and run id; a full-cone router made symmetric between checkpoints is reported
// as a regression at that checkpoint naming the pairs; `stop` during a wait ends it at once,
// tears down and writes the report (also when the controller is gone); a node whose sshd dies
// during a wait is named unreachable. Each case has its own run registry (VPS_TEST_STATE_DIR).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli, startCli } from '../helpers/cli.js';
import { waitFor, sshdTree } from '../helpers/lab-runs.js';
import { NAT_TABLE, renderNatRuleset, replaceTable } from '../../src/lab/recipes/nat.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping soak tests: they need root (network namespaces, nftables, sshd)');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vps-test-soak-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The default example (the NAT matrix) with few trials and a soak. */
function exampleWithSoak(trials: number, checkpoints: string, tolerance: number): string {
  const text = readFileSync(join(REPO_ROOT, 'examples/lab-nat-matrix.yml'), 'utf8');
  expect(text).toMatch(/trials: 10\n/);
  return `${text.replace('trials: 10\n', `trials: ${trials}\n    min_attempts: ${trials}\n`)}soak:\n  checkpoints: ${checkpoints}\n  regression_tolerance: ${tolerance}\n`;
}

function dirs(name: string, config: string): { a: string; b: string; env: NodeJS.ProcessEnv } {
  const base = join(work, name);
  const a = join(base, 'a');
  const b = join(base, 'b');
  for (const d of [a, b]) mkdirSync(d, { recursive: true });
  writeFileSync(join(a, '.vps-test.yml'), config);
  return { a, b, env: { VPS_TEST_STATE_DIR: join(base, 'registry') } };
}

function expectNothingLeft(runDir: string, runId: string): void {
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
  expect((JSON.parse(readFileSync(join(runDir, 'state.json'), 'utf8')) as { fleetUp: boolean }).fleetUp).toBe(false);
}

interface SoakRow {
  checkpoint: string;
  verdict: string;
  rates: Record<string, number | null>;
  trend: Record<string, { vs_first: number | null; vs_baseline: number | null; regressed: boolean }>;
}
interface Results {
  verdict: string;
  run_id: string;
  reasons: string[];
  soak?: SoakRow[];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe.skipIf(!isRoot)('soak checkpoints on the lab', () => {
  it('kill -9 during a wait: status shows the next checkpoint, --resume finishes both checkpoints on the same fleet with a trend', async () => {
    const id = 'sksoak';
    const d = dirs('resume', exampleWithSoak(2, '[6s, 8s]', 25));
    const runDir = join(d.a, '.vps-test', 'runs', id);
    const run = startCli(['run', '--yes', '--run-id', id], d.a, d.env);
    await waitFor(run, /soak: checkpoint 6s due at/);
    const fleetBefore = readFileSync(join(runDir, 'fleet.json'), 'utf8');
    const namespacesBefore = namespacesOf(id).sort();
    run.child.kill('SIGKILL');
    await run.done;

    const status = await runCli(['status', id, '--json'], d.b, d.env);
    expect(status.code, status.stderr).toBe(0);
    const shown = JSON.parse(status.stdout) as { nextCheckpoint?: { checkpoint: string; dueAt: string }; fleetUp: boolean };
    expect(shown.fleetUp).toBe(true);
    expect(shown.nextCheckpoint?.checkpoint).toBe('6s');
    expect(Number.isNaN(Date.parse(shown.nextCheckpoint?.dueAt ?? ''))).toBe(false);
    const table = await runCli(['status', id], d.b, d.env);
    expect(table.stdout).toMatch(/soak \(checkpoint 6s at \d{4}-\d\d-\d\dT/);

    const resumed = await runCli(['run', '--resume', id], d.b, d.env);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming run ${id} at evaluate`));
    expect(resumed.stderr).not.toMatch(/\] (build|provision|deploy|test) \.\.\./); // same fleet, same services
    expect(resumed.stderr).toMatch(/soak: checkpoint 6s done: \d+ result lines/);
    expect(resumed.stderr).toMatch(/soak: checkpoint 8s done: \d+ result lines/);
    expect(readFileSync(join(runDir, 'fleet.json'), 'utf8')).toBe(fleetBefore);
    expect(namespacesBefore.length).toBeGreaterThan(0);

    const results = readJson<Results>(join(runDir, 'results.json'));
    expect(results.run_id).toBe(id);
    expect(results.verdict, results.reasons.join('\n')).toBe('pass');
    expect(results.soak?.map((s) => s.checkpoint)).toEqual(['start', '6s', '8s']);
    for (const row of results.soak ?? []) expect(row.trend.direct).toMatchObject({ regressed: false });
    expect(results.soak?.[1]?.trend.direct?.vs_first).toBeTypeOf('number');
    for (const cp of ['6s', '8s']) {
      const events = readFileSync(join(runDir, 'checkpoints', cp, 'results.jsonl'), 'utf8');
      expect(events.split('\n').filter(Boolean).length, cp).toBeGreaterThan(0);
      expect(readJson<Results>(join(runDir, 'checkpoints', cp, 'results.json')).verdict).toBeDefined();
      expect(readdirSync(join(runDir, 'checkpoints', cp, 'logs')).length, `${cp} logs`).toBeGreaterThan(0);
    }
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(report).toMatch(/### Soak trend \(tolerance 25 points\)/);
    expect(report).toMatch(/\| 6s \| [^|]+ \| direct \| \d+\.\d% \|/);
    console.log(report.slice(report.indexOf('### Soak trend')).split('\n').slice(0, 12).join('\n'));
    expect(report).toMatch(/\| 8s \| [^|]+ \| nat_traversed \| /);
    expectNothingLeft(runDir, id);
  });

  it('a full-cone router made symmetric between checkpoints is a regression at that checkpoint naming the pairs; stop during the next wait reports and tears down', async () => {
    const id = 'skregr';
    const d = dirs('regress', exampleWithSoak(2, '[8s, 10m]', 10));
    const runDir = join(d.a, '.vps-test', 'runs', id);
    const run = startCli(['run', '--yes', '--run-id', id], d.a, d.env);
    await waitFor(run, /soak: checkpoint 8s due at/);
    const router = namespacesOf(id).find((n) => /-r\d+\.fullcone$/.test(n));
    expect(router, namespacesOf(id).join(' ')).toBeDefined();
    const symmetric = replaceTable(NAT_TABLE, renderNatRuleset('symmetric', { wan: 'wan', lan: 'lan', sshFrom: [] }));
    execFileSync('ip', ['netns', 'exec', router as string, 'nft', '-f', '-'], { input: symmetric });
    expect(execFileSync('ip', ['netns', 'exec', router as string, 'nft', 'list', 'table', 'ip', NAT_TABLE], { encoding: 'utf8' })).toMatch(/masquerade random/);

    await waitFor(run, /soak: checkpoint 10m due at/);
    expect(run.output()).toMatch(/soak: checkpoint 8s done: .*regressed/);
    const stopAt = Date.now();
    const stop = await runCli(['stop', id], d.b, d.env);
    expect(stop.code, stop.stdout + stop.stderr).toBe(1);
    const r = await run.done;
    console.log(`stop during the soak wait: the run ended ${Date.now() - stopAt} ms after stop was asked`);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/soak: stopped by vps-test stop while waiting for checkpoint 10m/);

    const results = readJson<Results>(join(runDir, 'results.json'));
    expect(results.verdict).toBe('fail');
    const regression = results.reasons.find((x) => /^soak: nat_traversed regressed [\d.]+ points at checkpoint 8s vs the first checkpoint \(start\)/.test(x));
    expect(regression, results.reasons.join('\n')).toBeDefined();
    expect(regression).toMatch(/pairs: .*fullcone/);
    console.log(`the regression as reported: ${regression}`);
    expect(results.reasons.join('\n')).toMatch(/soak: checkpoint 10m not run \(stopped by vps-test stop while waiting for checkpoint 10m\)/);
    expect(results.soak?.map((s) => s.checkpoint)).toEqual(['start', '8s']);
    expect(results.soak?.[1]?.trend.nat_traversed?.regressed).toBe(true);
    expect(results.soak?.[0]?.trend.nat_traversed?.regressed).toBe(false);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(report).toMatch(/\| 8s \| [^|]+ \| nat_traversed \| [\d.]+% \| -[\d.]+ \| [^|]+ \| ❌ regressed \|/);
    expect(readdirSync(join(runDir, 'logs')).length).toBeGreaterThan(0); // a graceful stop collects the logs
    expectNothingLeft(runDir, id);
  });

  it('a node whose sshd dies during a wait is named unreachable at the next checkpoint and the run ends judged, not hung', async () => {
    const id = 'skgone';
    const d = dirs('unreachable', exampleWithSoak(2, '[6s]', 25));
    const runDir = join(d.a, '.vps-test', 'runs', id);
    const run = startCli(['run', '--yes', '--run-id', id], d.a, d.env);
    await waitFor(run, /soak: checkpoint 6s due at/);
    for (const pid of sshdTree(runDir, 'public')) process.kill(pid, 'SIGKILL');
    const r = await run.done;
    const state = readJson<{ unreachable?: { node: string }[] }>(join(runDir, 'state.json'));
    expect(state.unreachable?.map((u) => u.node), r.stderr).toContain('public');
    expect(r.stderr).toMatch(/node public unreachable since/);
    const results = readJson<Results & { nodes?: { name: string; status: string }[] }>(join(runDir, 'results.json'));
    console.log(`a node gone mid-soak: ${results.verdict}: ${results.reasons.join(' | ')}`);
    expect(['degraded', 'fail']).toContain(results.verdict);
    // the node's pairs are judged by the unreachable rule, not as a drop: the checkpoint is degraded
    // naming it, and no category regressed
    expect(results.reasons.join('\n')).toMatch(/soak: checkpoint 6s degraded: 1 of 6 nodes unreachable: public/);
    expect(results.reasons.filter((x) => /regressed .* at checkpoint 6s/.test(x))).toEqual([]);
    expect(readJson<Results & { nodes?: { name: string; status: string }[] }>(join(runDir, 'checkpoints', '6s', 'results.json')).nodes?.find((n) => n.name === 'public')?.status).toBe('unreachable');
    expect(results.soak?.map((s) => s.checkpoint)).toEqual(['start', '6s']);
    expectNothingLeft(runDir, id);
  });

  it('stop of a soak whose controller was killed during a wait does not continue it: it reports what was measured and tears down', async () => {
    const id = 'skorph';
    const d = dirs('orphan', exampleWithSoak(2, '[10m]', 25));
    const runDir = join(d.a, '.vps-test', 'runs', id);
    const run = startCli(['run', '--yes', '--run-id', id], d.a, d.env);
    await waitFor(run, /soak: checkpoint 10m due at/);
    run.child.kill('SIGKILL');
    await run.done;
    const stopAt = Date.now();
    const stop = await runCli(['stop', id], d.b, d.env);
    console.log(`stop of an orphaned soak took ${Date.now() - stopAt} ms`);
    expect(stop.stdout + stop.stderr).not.toMatch(/soak: checkpoint 10m due at/);
    const results = readJson<Results>(join(runDir, 'results.json'));
    expect(results.run_id).toBe(id);
    expect(results.reasons).toContain('soak: checkpoint 10m not run (stopped by vps-test stop after the controller died before checkpoint 10m)');
    expect(results.verdict).toBe('degraded');
    expect(stop.code, stop.stdout + stop.stderr).toBe(0);
    expect(existsSync(join(runDir, 'report.md'))).toBe(true);
    expect(existsSync(join(runDir, 'checkpoints'))).toBe(false);
    expectNothingLeft(runDir, id);
  });
});
