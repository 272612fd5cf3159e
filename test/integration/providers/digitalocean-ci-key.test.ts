// A DigitalOcean run continued by another process, as CI jobs continue it (docs/architecture.md
// "Keys across jobs"), against the fake DigitalOcean whose droplets are lab machines that
// authorize the SSH key registered through the API: provisioned with VPS_TEST_SSH_SECRET, the
// registered key is the derived one; with the key file gone, a second process from another
// directory regenerates it, reaches the droplets, tests and tears down; nothing is left.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { LabMachines } from '../../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { startFakeCloud, stopFakeCloud } from '../../helpers/fake-digitalocean.js';
import { deriveClientKey, fingerprintOf } from '../../../src/run/ci-key.js';
import { scanForSecrets } from '../actions/secret-scan.js';

const isRoot = process.getuid?.() === 0;
const SECRET = 'digitalocean test secret, long enough';
const CONFIG = `project: do-ci-key
fleet:
  provider: digitalocean
  digitalocean: { region: nyc3, size: s-1vcpu-1gb, image: ubuntu-24-04-x64, ttl: 2h }
  nodes:
    - { name: bootstrap-1, role: bootstrap }
    - { name: peer, nat: none }
tests:
  connectivity: { trials: 2, min_attempts: 2, criteria: { direct: 99 } }
report: { pr_comment: false, journal: false, artifacts: true }
`;

describe.skipIf(!isRoot)('a DigitalOcean run continued by another process with VPS_TEST_SSH_SECRET', () => {
  let work: string;
  let fake: FakeDigitalOcean;
  let machines: LabMachines;
  beforeAll(async () => {
    ({ work, fake, machines } = await startFakeCloud('vt-do-cikey-'));
  });
  afterAll(() => stopFakeCloud({ work, fake }));

  it('registers the derived key; a second process regenerates it and reaches the droplets', async () => {
    const [a, b] = [join(work, 'job1'), join(work, 'job2')];
    for (const d of [a, b]) mkdirSync(d, { recursive: true });
    writeFileSync(join(a, '.vps-test.yml'), CONFIG);
    const env = { DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token, VPS_TEST_SSH_SECRET: SECRET, VPS_TEST_STATE_DIR: join(work, 'registry') };
    const id = 'docikey';
    const key = deriveClientKey(SECRET, id);

    const up = await runCli(['run', '--yes', '--run-id', id, '--stages', 'build,provision,deploy'], a, env);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect([...fake.account.keys.values()].map((k) => k.public_key)).toEqual([key.publicKey]);
    const runDir = join(a, '.vps-test', 'runs', id);
    const fleet = JSON.parse(readFileSync(join(runDir, 'fleet.json'), 'utf8')) as { clientKeyPath: string; clientKeyFingerprint?: string };
    expect(fleet.clientKeyFingerprint).toBe(fingerprintOf(key.publicKey));
    rmSync(fleet.clientKeyPath);

    const rest = await runCli(['run', '--run', id, '--stages', 'test,evaluate,report,teardown'], b, env);
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    expect(rest.stderr).toContain(`client key ${fleet.clientKeyFingerprint} regenerated from VPS_TEST_SSH_SECRET`);
    expect((JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string }).verdict).toBe('pass');
    expect(fake.account.droplets.size).toBe(0);
    expect(fake.account.keys.size).toBe(0);
    expect(await machines.namespaces()).toEqual([]);
    expect(scanForSecrets(runDir, [SECRET, fake.token])).toEqual([]);
    fake.assertNoViolations();
  });
});
