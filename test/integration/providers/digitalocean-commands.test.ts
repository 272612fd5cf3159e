// status, down and stop for DigitalOcean runs this machine has no state for (another machine's
// run, a controller that died before writing any): found by their tags against the fake API,
// shown with age, expiry and cost so far, and removed one run at a time. Two runs' droplets
// and keys are in the account; removing one leaves the other's exactly as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { FakeDigitalOcean, NoMachines } from '../../fakes/digitalocean/server.js';

const now = Math.floor(Date.now() / 1000);
const KEY = (c: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${c.repeat(43)}`;
const HOURLY = 0.00893; // s-1vcpu-1gb in the fake's sizes list

interface CloudJson { runId: string; known: boolean; machines: { name: string; ageSeconds: number; hourlyUsd: number; costUsd: number; expiresAt: number; status: string }[]; other: string[]; expiresAt: string; hourlyUsd: number; costUsd: number }

describe('status, down and stop of DigitalOcean runs without local state', () => {
  let fake: FakeDigitalOcean;
  let cwd: string;
  let stateDir: string;
  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'vt-do-cmds-'));
    stateDir = mkdtempSync(join(tmpdir(), 'vt-do-cmds-state-'));
    fake = new FakeDigitalOcean({ machines: new NoMachines(1) });
    await fake.start();
    const mk = (names: string[], tags: string[], ageHours: number) => {
      for (const d of fake.account.createDroplets({ names, size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags })) {
        d.createdAt = new Date((now - ageHours * 3600) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        d.status = 'active';
      }
    };
    mk(['vt-runa-boot', 'vt-runa-peer'], ['vps-test', 'vps-test-run-runa', `vps-test-expires-${now + 3600}`], 2);
    mk(['vt-runb-boot'], ['vps-test', 'vps-test-run-runb', `vps-test-expires-${now - 60}`], 3);
    mk(['web-prod'], ['prod'], 10);
    fake.account.createKey(`vps-test-runa-expires-${now + 3600}`, KEY('A'));
    fake.account.createKey(`vps-test-runb-expires-${now - 60}`, KEY('B'));
    fake.account.createKey('my-laptop', KEY('C'));
  });
  afterAll(async () => {
    await fake.close();
    rmSync(cwd, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });
  const env = (token = fake.token) => ({ DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: token, VPS_TEST_STATE_DIR: stateDir });
  const names = () => [...fake.account.droplets.values()].map((d) => d.name).sort();
  const keys = () => [...fake.account.keys.values()].map((k) => k.name).sort();

  it('status shows every run\'s droplets with age, expiry and cost so far, marked as not this user\'s', async () => {
    const r = await runCli(['status', '--json'], cwd, env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { runs: unknown[]; others: string[]; cloud: CloudJson[] };
    expect(out.runs).toEqual([]);
    // (other engineers' labs on this machine are listed too: only the cloud's are ours to check)
    expect(out.others.filter((o) => o.endsWith('(digitalocean)')).sort()).toEqual(['runa (digitalocean)', 'runb (digitalocean)']);
    const a = out.cloud.find((c) => c.runId === 'runa') as CloudJson;
    expect(a).toMatchObject({ known: false, expiresAt: new Date((now + 3600) * 1000).toISOString(), other: [expect.stringMatching(/^ssh_key:\d+:vps-test-runa-expires-/)] });
    expect(a.machines.map((m) => m.name).sort()).toEqual(['vt-runa-boot', 'vt-runa-peer']);
    for (const m of a.machines) {
      expect(m.ageSeconds).toBeGreaterThanOrEqual(7200);
      expect(m.ageSeconds).toBeLessThan(7200 + 120);
      expect(m.hourlyUsd).toBe(HOURLY);
      expect(m.costUsd).toBeCloseTo((HOURLY * m.ageSeconds) / 3600, 10);
    }
    expect(a.hourlyUsd).toBeCloseTo(2 * HOURLY, 10);
    expect(a.costUsd).toBeGreaterThan(4 * HOURLY - 1e-9);
    // droplets that are not vps-test's are not shown
    expect(JSON.stringify(out.cloud)).not.toContain('web-prod');

    const text = await runCli(['status'], cwd, env());
    expect(text.stdout).toMatch(/digitalocean: 3 machines of 2 runs, \$0\.0268\/h, \$0\.06\d+ so far/);
    expect(text.stdout).toMatch(/runb\* +vt-runb-boot +\d+ +active +nyc3 +s-1vcpu-1gb +3\.0h +\$0\.0268 +\S+ \(expired \d+s ago\)/);
    expect(text.stdout).toMatch(/not a run of this user's registry .*vps-test down runa/);
    expect(text.stdout + text.stderr).not.toContain(fake.token);
  });

  it('status RUN without state: that run only, from its tag', async () => {
    const r = await runCli(['status', 'runb', '--json'], cwd, env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { known: boolean; cloud: CloudJson[] };
    expect(out.known).toBe(false);
    expect(out.cloud.map((c) => [c.runId, c.machines.map((m) => m.name)])).toEqual([['runb', ['vt-runb-boot']]]);
  });

  it('down --all removes only this user\'s runs: the cloud runs of no registry entry are named, not touched', async () => {
    const r = await runCli(['down', '--all'], cwd, env());
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('not touched:')) ?? '';
    expect(line).toContain('runa (digitalocean)');
    expect(line).toContain('runb (digitalocean)');
    expect(names()).toEqual(['vt-runa-boot', 'vt-runa-peer', 'vt-runb-boot', 'web-prod']);
    expect(keys()).toHaveLength(3);
  });

  it('down RUN from a machine with no state removes that run\'s droplets and key only, and checks nothing is left', async () => {
    const r = await runCli(['down', 'runa'], cwd, env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/run runa: down \(it had no run folder here\)/);
    expect(r.stderr).toMatch(/droplets tagged vps-test-run-runa and 1 SSH key\(s\) deleted; none left/);
    expect(names()).toEqual(['vt-runb-boot', 'web-prod']);
    expect(keys()).toEqual(['my-laptop', `vps-test-runb-expires-${now - 60}`]);
    // once gone, the run is unknown
    const again = await runCli(['down', 'runa'], cwd, env());
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/down: no run 'runa' is known or up/);
  });

  it('stop RUN without state (nothing to evaluate here) removes it the same way', async () => {
    const r = await runCli(['stop', 'runb'], cwd, env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run runb: no state on this machine/);
    expect(names()).toEqual(['web-prod']);
    expect(keys()).toEqual(['my-laptop']);
    fake.assertNoViolations();
  });

  it('without a token a run from elsewhere is not found, and the message says how to find it', async () => {
    const r = await runCli(['down', 'runz'], cwd, { ...env(''), DIGITALOCEAN_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run 'runz' is known or up .*DIGITALOCEAN_TOKEN/);
    const s = await runCli(['status', 'runz'], cwd, { ...env(''), DIGITALOCEAN_TOKEN: '' });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/export DIGITALOCEAN_TOKEN to look it up by its tag/);
  });
});
