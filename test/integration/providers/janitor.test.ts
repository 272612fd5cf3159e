// `vps-test janitor` against the fake DigitalOcean: expired droplets and keys go, unexpired
// ones and droplets that are not vps-test's stay; --dry-run deletes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { FakeDigitalOcean, NoMachines } from '../../fakes/digitalocean/server.js';

const now = Math.floor(Date.now() / 1000);
const KEY = (c: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${c.repeat(43)}`;

describe('vps-test janitor', () => {
  let fake: FakeDigitalOcean;
  let cwd: string;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'vt-janitor-'));
    fake = new FakeDigitalOcean({ machines: new NoMachines(1) });
    await fake.start();
    const mk = (names: string[], tags: string[]) => fake.account.createDroplets({ names, size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags });
    mk(['vt-old1-a', 'vt-old1-b'], ['vps-test', 'vps-test-run-old1', `vps-test-expires-${now - 60}`]);
    mk(['vt-new1-a'], ['vps-test', 'vps-test-run-new1', `vps-test-expires-${now + 3600}`]);
    mk(['web-prod'], ['prod']);
    mk(['vt-notag-a'], ['vps-test', 'vps-test-run-notag']);
    fake.account.createKey(`vps-test-old1-expires-${now - 60}`, KEY('A'));
    fake.account.createKey(`vps-test-new1-expires-${now + 3600}`, KEY('B'));
    fake.account.createKey('my-laptop', KEY('C'));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(cwd, { recursive: true, force: true });
  });
  const env = () => ({ DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token });
  const names = () => [...fake.account.droplets.values()].map((d) => d.name).sort();
  const keys = () => [...fake.account.keys.values()].map((k) => k.name).sort();

  it('--dry-run lists what is expired and deletes nothing', async () => {
    const r = await runCli(['janitor', '--dry-run'], cwd, env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would delete droplet vt-old1-a \(run old1/);
    expect(r.stdout).toMatch(/would delete ssh_key vps-test-old1-expires-/);
    expect(r.stdout).toMatch(/keep {3}droplet vt-new1-a/);
    expect(r.stdout).toMatch(/would delete 3 expired resource\(s\); kept 3/);
    expect(names()).toHaveLength(5);
    expect(keys()).toHaveLength(3);
  });

  it('deletes expired droplets and keys, keeps unexpired, untagged-expiry and foreign ones', async () => {
    const r = await runCli(['janitor'], cwd, env());
    expect(r.code, r.stderr).toBe(0);
    expect(names()).toEqual(['vt-new1-a', 'vt-notag-a', 'web-prod']);
    expect(keys()).toEqual(['my-laptop', `vps-test-new1-expires-${now + 3600}`]);
    expect(r.stdout).not.toContain(fake.token);
    fake.assertNoViolations();
  });

  it('without a token: exit 2 naming DIGITALOCEAN_TOKEN', async () => {
    const r = await runCli(['janitor'], cwd, { DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/DIGITALOCEAN_TOKEN/);
  });
});
