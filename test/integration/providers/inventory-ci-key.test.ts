// Inventory hosts across CI jobs (docs/architecture.md "Keys across jobs"): the hosts authorize
// the user's own key, so with VPS_TEST_SSH_SECRET set the run still logs in with that key (no
// derived fingerprint is recorded, provisioning says so), and a later process whose key lives
// elsewhere reaches the hosts with VPS_TEST_SSH_KEY; a derived key is never written to the
// user's key path. The hosts are lab machines addressed as static hosts (pinned keys).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { runCli } from '../../helpers/cli.js';
import { INVENTORY_ROOT } from '../../../src/providers/inventory/scripts.js';

const isRoot = process.getuid?.() === 0;
const SECRET = 'inventory test secret, long enough';

describe.skipIf(!isRoot)('inventory hosts continued by another process with VPS_TEST_SSH_SECRET set', () => {
  let lab: Lab;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vt-inventory-key-'));
    lab = await createLab({ runId: `invk${process.pid % 10000}`, labRoot: join(work, 'lab'), nodes: ['m0', 'm1'].map((name) => ({ name, nat: 'none', role: 'peer' })) }, { handleSignals: false });
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('provisions with the user key, and a second process reaches the hosts with VPS_TEST_SSH_KEY elsewhere', async () => {
    const [a, b] = lab.fleet.nodes;
    const node = (name: string, n: typeof a, extra = '') => `    - { name: ${name}, host: ${n?.publicIp}, user: ${n?.ssh.user}, host_key: "${n?.ssh.hostKey}"${extra} }`;
    const job1 = join(work, 'job1');
    const job2 = join(work, 'job2');
    for (const d of [job1, job2, join(job1, 'home'), join(job2, 'home')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(job1, '.vps-test.yml'), ['project: inventory-key', 'fleet:', '  provider: inventory', '  nodes:', node('boot', a, ', role: bootstrap'), node('pub', b), 'tests:', '  connectivity: { trials: 2, min_attempts: 2 }', ''].join('\n'));
    const key1 = join(job1, 'home', 'id_ed25519');
    const key2 = join(job2, 'home', 'id_ed25519');
    copyFileSync(lab.fleet.clientKeyPath, key1);
    copyFileSync(lab.fleet.clientKeyPath, key2);
    const env = { VPS_TEST_STATE_DIR: join(work, 'registry'), VPS_TEST_SSH_SECRET: SECRET };
    const id = 'invkey';

    const up = await runCli(['run', '--yes', '--run-id', id, '--stages', 'build,provision,deploy'], job1, { ...env, VPS_TEST_SSH_KEY: key1 });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stderr).toContain(`VPS_TEST_SSH_SECRET is set, but the inventory fleet logs in with its own key ${key1}: a later job needs that key file (or VPS_TEST_SSH_KEY)`);
    const runDir = join(job1, '.vps-test', 'runs', id);
    const fleet = JSON.parse(readFileSync(join(runDir, 'fleet.json'), 'utf8')) as { clientKeyPath: string; clientKeyFingerprint?: string };
    expect(fleet).toMatchObject({ clientKeyPath: key1 });
    expect(fleet.clientKeyFingerprint).toBeUndefined();

    rmSync(key1); // the first job's machine is gone
    const rest = await runCli(['run', '--run', id, '--stages', 'test,evaluate,report,teardown'], job2, { ...env, VPS_TEST_SSH_KEY: key2 });
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    expect(rest.stderr).toContain(`client key ${key1} is not on this machine: using VPS_TEST_SSH_KEY (${key2})`);
    expect((JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string }).verdict).toBe('pass');
    expect(rest.stderr).toContain(`inventory: run ${id} removed from 2 host(s)`); // teardown reached the hosts too
    expect(existsSync(INVENTORY_ROOT)).toBe(false);
    expect(existsSync(key1)).toBe(false); // never filled with a derived key
    expect(readFileSync(key2, 'utf8')).toBe(readFileSync(lab.fleet.clientKeyPath, 'utf8'));
  });
});
