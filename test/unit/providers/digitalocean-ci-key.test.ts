// The DigitalOcean provider with a client key chosen by the caller (CI: derived from
// VPS_TEST_SSH_SECRET, docs/architecture.md "Keys across jobs"): the SSH key it registers and the
// key file the controller logs in with are that key, so a later job regenerates the same one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import { DigitalOceanProvider } from '../../../src/providers/digitalocean/provider.js';
import { deriveClientKey, markDerivedKey } from '../../../src/run/ci-key.js';
import { FakeDigitalOcean, NoMachines } from '../../fakes/digitalocean/server.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-do-cikey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = {
  provider: 'digitalocean',
  nodes: [{ name: 'n0', role: 'bootstrap', nat: 'none', arch: 'x86_64' }, { name: 'n1', role: 'peer', nat: 'none', arch: 'x86_64' }],
  digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000 },
} as Plan;

describe('DigitalOcean provider and the derived client key', () => {
  it('registers the derived public key and logs in with the derived private key; a run without one gets a fresh key', async () => {
    const fake = new FakeDigitalOcean({ machines: new NoMachines(4) });
    await fake.start();
    try {
      const provider = () => new DigitalOceanProvider({ env: { DIGITALOCEAN_TOKEN: fake.token, DIGITALOCEAN_API_URL: fake.url }, client: { backoffMs: 1 }, pollMs: 20, bootTimeoutMs: 1500, reachability: async () => undefined });
      const key = deriveClientKey('a repository secret of some length', 'dokey');
      const run = { runId: 'dokey', runDir: join(dir, 'dokey'), log: () => undefined, clientKey: key };
      const fleet = await provider().provision(plan, run);
      expect([...fake.account.keys.values()].map((k) => k.public_key)).toEqual([key.publicKey]);
      expect(readFileSync(fleet.clientKeyPath, 'utf8')).toBe(key.privateKey);
      expect(markDerivedKey(fleet, key).clientKeyFingerprint).toMatch(/^SHA256:/);
      await provider().destroy(run);

      const other = { runId: 'dofree', runDir: join(dir, 'dofree'), log: () => undefined };
      const own = await provider().provision(plan, other);
      const registered = [...fake.account.keys.values()].map((k) => k.public_key);
      expect(registered).toHaveLength(1);
      expect(registered[0]).not.toBe(key.publicKey);
      expect(markDerivedKey(own, key).clientKeyFingerprint).toBeUndefined();
      await provider().destroy(other);
      expect(fake.account.keys.size).toBe(0);
      fake.assertNoViolations();
    } finally {
      await fake.close();
    }
  });
});
