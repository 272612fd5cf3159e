// A run continued across processes the way CI jobs continue it (docs/architecture.md "Keys across
// jobs", "Soak across jobs"), on one small real lab: provisioned in one process with
// VPS_TEST_SSH_SECRET, its key file deleted, then continued from another directory: a wrong
// secret is refused naming the key (no stack trace), the right one regenerates the key and the
// tests reach the nodes (real sshd); the soak runs one checkpoint per invocation and folds into
// the same results as a soak in one process; no private key or secret is ever in the state that
// travels between jobs, nor in the run folder at the end.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, runCli, type CliResult } from '../helpers/cli.js';
import { deriveClientKey, fingerprintOf } from '../../src/run/ci-key.js';
import { stateFiles } from '../../src/report/sinks/run-state-artifact.js';
import { scanForSecrets } from '../integration/actions/secret-scan.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the CI-continuation test: it needs root (network namespaces, nftables, sshd)');

const ID = 'cicont';
const SECRET = 'the repository secret of this test';
const CONFIG = `project: cicont
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
let a: string;
let b: string;
let runDir: string;
let env: NodeJS.ProcessEnv;
const withSecret = (secret = SECRET): NodeJS.ProcessEnv => ({ ...env, VPS_TEST_SSH_SECRET: secret });
const keyFile = () => join(runDir, 'lab', 'keys', 'client');
const out = (r: CliResult) => r.stdout + r.stderr;
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * What travels between jobs (the run-state artifact: the run folder without lab/, build/, keys)
 * holds no key and no secret: scanned over everything outside the lab's own folder, a superset.
 */
async function expectStateClean(): Promise<void> {
  const lab = `${join(runDir, 'lab')}/`;
  expect((await stateFiles(runDir)).filter((f) => f.startsWith(lab))).toEqual([]);
  expect(scanForSecrets(runDir, [SECRET]).filter((f) => !f.startsWith(lab))).toEqual([]);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vt-cicont-'));
  a = join(work, 'job1');
  b = join(work, 'job2');
  for (const d of [a, b]) mkdirSync(d, { recursive: true });
  writeFileSync(join(a, '.vps-test.yml'), CONFIG);
  runDir = join(a, '.vps-test', 'runs', ID);
  env = { VPS_TEST_STATE_DIR: join(work, 'registry') };
});
afterAll(async () => {
  if (isRoot && namespacesOf(ID).length) await runCli(['down', ID], a, env);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('a run continued across processes, as CI jobs continue it', () => {
  it('the derived key reaches the nodes from another process; a wrong secret is refused naming the key; the soak goes one checkpoint per invocation', async () => {
    const derived = deriveClientKey(SECRET, ID);
    const fingerprint = fingerprintOf(derived.publicKey);

    // job 1: up to deploy, with the secret: the lab logs in with the derived key
    const up = await runCli(['run', '--yes', '--run-id', ID, '--stages', 'build,provision,deploy'], a, withSecret());
    expect(up.code, out(up)).toBe(0);
    expect(readFileSync(keyFile(), 'utf8')).toBe(derived.privateKey);
    expect(readJson<{ clientKeyFingerprint?: string }>(join(runDir, 'fleet.json')).clientKeyFingerprint).toBe(fingerprint);
    await expectStateClean();
    rmSync(keyFile()); // a later job has no key file

    // job 2 with a wrong secret: refused, naming the key, no stack trace; the kept fleet stays
    const wrong = await runCli(['run', '--run', ID, '--stages', 'test', '--keep'], b, withSecret(`${SECRET}, but not quite`));
    expect(wrong.code, out(wrong)).toBe(2);
    expect(out(wrong)).toContain(`VPS_TEST_SSH_SECRET does not give the client key of run ${ID}: the fleet was provisioned with key ${fingerprint} (fleet.json), this secret derives SHA256:`);
    expect(out(wrong)).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(existsSync(keyFile())).toBe(false);
    expect(namespacesOf(ID).length).toBeGreaterThan(0);

    // ... and with no secret at all: says which to set
    const none = await runCli(['run', '--run', ID, '--stages', 'test'], b, env);
    expect(none.code, out(none)).toBe(2);
    expect(out(none)).toContain(`the client key of run ${ID} (${fingerprint}) is not here (${keyFile()}): it is derived from VPS_TEST_SSH_SECRET; set VPS_TEST_SSH_SECRET`);

    // job 2 with the secret, from another directory: the key is regenerated and the tests reach every node
    const test = await runCli(['run', '--run', ID, '--stages', 'test'], b, withSecret());
    expect(test.code, out(test)).toBe(0);
    expect(test.stderr).toContain(`client key ${fingerprint} regenerated from VPS_TEST_SSH_SECRET`);
    const events = readFileSync(join(runDir, 'results.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(events.length).toBeGreaterThan(0);
    expect(readJson<{ unreachable?: unknown[] }>(join(runDir, 'state.json')).unreachable ?? []).toEqual([]);

    // a checkpoint the soak does not have is refused before anything runs
    const bad = await runCli(['run', '--run', ID, '--stages', 'soak', '--soak-until', '9h'], b, withSecret());
    expect(bad.code).toBe(2);
    expect(out(bad)).toContain(`--soak-until 9h: run ${ID} has no such checkpoint (its checkpoints: 2s, 3s; or next)`);

    // jobs 3 and 4: one checkpoint each, each without the key file
    rmSync(keyFile());
    const first = await runCli(['run', '--run', ID, '--stages', 'soak', '--soak-until', 'next'], b, withSecret());
    expect(first.code, out(first)).toBe(0);
    expect(first.stderr).toMatch(/soak: checkpoint 2s done: \d+ result lines/);
    expect(first.stderr).toMatch(/soak: checkpoints left for later invocations: 3s/);
    expect(first.stderr).not.toMatch(/checkpoint 3s due/);
    expect(first.stdout).toMatch(new RegExp(`vps-test run ${ID}: soak checkpoint 2s done`));
    const mid = readJson<{ soak: { checkpoints: { name: string; status: string }[] } }>(join(runDir, 'state.json')).soak;
    expect(mid.checkpoints.map((c) => `${c.name}:${c.status}`)).toEqual(['2s:done', '3s:pending']);
    await expectStateClean();

    rmSync(keyFile());
    const second = await runCli(['run', '--run', ID, '--stages', 'soak,evaluate,report', '--soak-until', 'next'], a, withSecret());
    expect(second.code, out(second)).toBe(0);
    expect(second.stderr).toMatch(/soak: checkpoint 3s done: \d+ result lines/);
    expect(second.stderr).not.toMatch(/soak: checkpoint 2s/);

    // the same results as a soak in one process (test/e2e/soak.test.ts): every checkpoint folded in
    const results = readJson<{ verdict: string; reasons: string[]; soak?: { checkpoint: string; trend: Record<string, { vs_first: number | null; regressed: boolean }> }[] }>(join(runDir, 'results.json'));
    expect(results.verdict, results.reasons.join('\n')).toBe('pass');
    expect(results.soak?.map((s) => s.checkpoint)).toEqual(['start', '2s', '3s']);
    expect(results.soak?.[2]?.trend.direct?.vs_first).toBeTypeOf('number');
    for (const cp of ['2s', '3s']) {
      expect(readFileSync(join(runDir, 'checkpoints', cp, 'results.jsonl'), 'utf8').length, cp).toBeGreaterThan(0);
      expect(readJson<{ verdict: string }>(join(runDir, 'checkpoints', cp, 'results.json')).verdict, cp).toBe('pass');
    }
    expect(readFileSync(join(runDir, 'report.md'), 'utf8')).toMatch(/### Soak trend \(tolerance 50 points\)[\s\S]*\| 3s \| [^|]+ \| direct \| \d+\.\d% \|/);

    // a soak that is over has nothing left to run
    const over = await runCli(['run', '--run', ID, '--stages', 'soak', '--soak-until', 'next'], b, withSecret());
    expect(over.code, out(over)).toBe(0);
    expect(over.stderr).toMatch(/soak: no checkpoint left to run/);

    // the "always" job: an explicit teardown ends the fleet kept by --keep, logs collected with the regenerated key
    rmSync(keyFile());
    const down = await runCli(['run', '--run', ID, '--stages', 'teardown'], b, withSecret());
    expect(down.code, out(down)).toBe(0);
    expect(down.stderr).toMatch(/logs collected from 3 nodes/);
    expect(namespacesOf(ID)).toEqual([]);
    expect(processesMentioning(runDir)).toEqual([]);
    expect(readJson<{ fleetUp: boolean }>(join(runDir, 'state.json')).fleetUp).toBe(false);
    expect(scanForSecrets(runDir, [SECRET])).toEqual([]);
  });
});
