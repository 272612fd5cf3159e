// The DigitalOcean provider against the fake API (no machines: droplets get unroutable
// addresses): batching, polling by tag, refusals before anything is made, and that every
// failure on the way leaves no droplet and no key behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NatType } from '../../../src/config/model.js';
import type { Plan } from '../../../src/plan/types.js';
import { DigitalOceanProvider, type DigitalOceanProviderOptions } from '../../../src/providers/digitalocean/provider.js';
import type { RunContext } from '../../../src/providers/types.js';
import { FakeDigitalOcean, NoMachines, type FakeOptions } from '../../fakes/digitalocean/server.js';

let fake: FakeDigitalOcean;
let dir: string;
const lines: string[] = [];

function plan(count: number, extra: Partial<Plan> = {}, nat: NatType = 'none'): Plan {
  return {
    provider: 'digitalocean',
    nodes: Array.from({ length: count }, (_, i) => ({ name: `n${i}`, role: i === 0 ? 'bootstrap' : 'peer', nat: i === 0 ? 'none' : nat, arch: 'x86_64' })),
    digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000 },
    ...extra,
  } as Plan;
}

async function setup(fakeOptions: FakeOptions = {}, options: DigitalOceanProviderOptions = {}) {
  fake = new FakeDigitalOcean({ machines: new NoMachines(20), ...fakeOptions });
  await fake.start();
  const provider = new DigitalOceanProvider({
    env: { DIGITALOCEAN_TOKEN: fake.token, DIGITALOCEAN_API_URL: fake.url },
    client: { backoffMs: 1 },
    pollMs: 20,
    bootTimeoutMs: 1500,
    reachability: async () => undefined,
    ...options,
  });
  const run: RunContext = { runId: 'r1abc', runDir: join(dir, 'r1abc'), log: (l) => lines.push(l) };
  return { provider, run };
}

const nothingLeft = () => {
  expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual([]);
  expect([...fake.account.keys.values()].map((k) => k.name)).toEqual([]);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vt-do-provider-'));
  lines.length = 0;
});
afterEach(async () => {
  fake.assertNoViolations();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DigitalOcean provider', () => {
  it('creates 25 droplets in 3 requests, polls by tag, tags run and expiry, and destroys them all', async () => {
    const { provider, run } = await setup({}, { now: () => 1_700_000_000_000 });
    const fleet = await provider.provision(plan(25), run);
    expect(fleet.nodes).toHaveLength(25);
    expect(fake.count('POST /v2/droplets')).toBe(3);
    expect(fake.count('GET /v2/droplets/{droplet_id}')).toBe(0);
    const d = [...fake.account.droplets.values()][0];
    expect(d?.tags).toEqual(['vps-test', 'vps-test-run-r1abc', `vps-test-expires-${1_700_000_000 + 3600}`]);
    expect(d?.userData).toMatch(/^#cloud-config\n/);
    expect(fleet.nodes.every((n) => n.ssh.hostKey.startsWith('ssh-ed25519 ') && n.ssh.user === 'root')).toBe(true);
    expect((await provider.list({ runId: 'r1abc' }))[0]?.resources).toHaveLength(26);
    await provider.destroy(run);
    nothingLeft();
  });

  it('a NAT node gets the rendered recipe in its user_data and runs behind it', async () => {
    const { provider, run } = await setup();
    const fleet = await provider.provision(plan(2, {}, 'symmetric'), run);
    const n1 = fleet.nodes.find((n) => n.name === 'n1');
    expect(n1?.execPrefix).toEqual(['ip', 'netns', 'exec', 'vtnode']);
    expect(n1?.privateIp).toBe('10.200.0.2');
    const userData = [...fake.account.droplets.values()][0]?.userData ?? '';
    expect(userData).toContain('masquerade random');
    expect(userData).toContain('vt-r1abc-n1)');
    await provider.destroy(run);
    nothingLeft();
  });

  it('refuses an unknown size or region before creating anything, saying what is allowed', async () => {
    const { provider, run } = await setup();
    const bad = plan(3);
    bad.nodes[1] = { ...bad.nodes[1]!, region: 'mars1' };
    bad.nodes[2] = { ...bad.nodes[2]!, size: 's-64vcpu-huge' };
    const err = (await provider.check(bad, run).then(() => new Error('accepted'), (e: unknown) => e)) as Error;
    expect(err.message).toMatch(/node "n1": region "mars1" is not available; available: nyc1, nyc3/);
    expect(err.message).toMatch(/node "n2": size "s-64vcpu-huge" does not exist; sizes in nyc3: .*s-1vcpu-1gb/);
    expect(fake.count('POST /v2/droplets') + fake.count('POST /v2/account/keys')).toBe(0);
  });

  it('refuses a fleet larger than the droplet limit leaves room for, before creating anything', async () => {
    const { provider, run } = await setup({ faults: { dropletLimit: 5 } });
    fake.account.createDroplets({ names: ['other'], size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags: [] });
    await expect(provider.check(plan(5), run)).rejects.toThrow(/needs 5 droplets; the account's droplet limit is 5 and 1 exist \(4 free\)/);
    fake.account.droplets.clear();
  });

  it('refuses a ttl shorter than the run (the janitor would delete droplets mid-run)', async () => {
    const { provider, run } = await setup();
    const long = plan(2, { estimate: { nodeMinutes: 2 * 400 } });
    await expect(provider.check(long, run)).rejects.toThrow(/ttl \(60 min\) is shorter than this run's estimate \(400 min per droplet\)/);
  });

  it('logs a cost estimate from the sizes endpoint', async () => {
    const { provider, run } = await setup();
    await provider.check(plan(4), run);
    expect(lines.join('\n')).toMatch(/cost estimate: 4 droplet\(s\), \$0\.0357\/h together; at most \$0\.04/);
  });

  it('422 at droplet 12 of 15: destroys the 10 made, deletes the key, fails naming the limit', async () => {
    const { provider, run } = await setup();
    await provider.check(plan(15), run);
    // the limit shrinks between the check and the creation (another job took droplets)
    fake.faults.dropletLimit = 12;
    await expect(provider.provision(plan(15), run)).rejects.toThrow(/droplet limit \(12\)/);
    expect(fake.account.created).toBe(10);
    nothingLeft();
  });

  it('a 5xx storm on create: nothing left, the error names the operation', async () => {
    const { provider, run } = await setup({ faults: { serverErrors: 50, serverErrorsOn: 'POST /v2/droplets' } });
    await expect(provider.provision(plan(3), run)).rejects.toThrow(/POST \/v2\/droplets failed \(500/);
    nothingLeft();
  });

  it('a lost create answer is reconciled by tag, never creating a droplet twice', async () => {
    const { provider, run } = await setup({ faults: { lostCreateAnswers: 1 } });
    const fleet = await provider.provision(plan(4), run);
    expect(fleet.nodes).toHaveLength(4);
    expect(fake.account.created).toBe(4);
    await provider.destroy(run);
    nothingLeft();
  });

  it('droplets that never answer SSH: destroyed, the error names them', async () => {
    const { provider, run } = await setup({}, { reachability: undefined, bootTimeoutMs: 1500 });
    await expect(provider.provision(plan(2), run)).rejects.toThrow(/never answered SSH within 2 s: n0 \(198\.51\.100\.\d+\), n1/);
    nothingLeft();
  });

  it('fleet.digitalocean.boot_timeout bounds the wait when the provider is given none: named in the error, nothing left', async () => {
    const { provider, run } = await setup({ machines: new NoMachines(1500) }, { bootTimeoutMs: undefined });
    const p = plan(2, { digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000, bootTimeoutMs: 300 } });
    await expect(provider.provision(p, run)).rejects.toThrow(/droplets not active after 0 s: n0, n1 \(fleet\.digitalocean\.boot_timeout\)/);
    nothingLeft();
  });

  it('without a token: refused naming DIGITALOCEAN_TOKEN, nothing sent', async () => {
    const { run } = await setup();
    const provider = new DigitalOceanProvider({ env: { DIGITALOCEAN_API_URL: fake.url } });
    await expect(provider.check(plan(2), run)).rejects.toThrow(/export DIGITALOCEAN_TOKEN/);
    expect([...fake.counts.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });
});
