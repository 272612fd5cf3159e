// Failures while droplets are real machines leave nothing: one droplet that never answers SSH,
// and Ctrl-C of `vps-test run` while droplets boot. Checked in the fake's account (droplets,
// keys) and on this machine (namespaces of the fake's droplets).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/plan/types.js';
import { DigitalOceanProvider } from '../../../src/providers/digitalocean/provider.js';
import { runCli, startCli } from '../../helpers/cli.js';
import { LabMachines } from '../../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { startFakeCloud, stopFakeCloud } from '../../helpers/fake-digitalocean.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping digitalocean leak tests: the fake droplets need root (network namespaces, sshd)');

describe.skipIf(!isRoot)('DigitalOcean failures leave nothing (fake API, lab machines)', () => {
  let work: string;
  let fake: FakeDigitalOcean;
  let machines: LabMachines;
  beforeAll(async () => {
    ({ work, fake, machines } = await startFakeCloud('vt-do-leaks-'));
  });
  afterAll(() => stopFakeCloud({ work, fake }));
  const nothingLeft = async () => {
    expect([...fake.account.droplets.values()].map((d) => d.name)).toEqual([]);
    expect([...fake.account.keys.values()].map((k) => k.name)).toEqual([]);
    expect(await machines.namespaces()).toEqual([]);
    fake.assertNoViolations();
  };

  it('one droplet of three never answers SSH: the run fails naming it, all three are destroyed', async () => {
    fake.faults.unreachableName = '-mute';
    const provider = new DigitalOceanProvider({ env: { DIGITALOCEAN_TOKEN: fake.token, DIGITALOCEAN_API_URL: fake.url }, pollMs: 200, bootTimeoutMs: 8000 });
    const plan = {
      provider: 'digitalocean',
      nodes: ['boot', 'mute', 'peer'].map((name) => ({ name, role: name === 'boot' ? 'bootstrap' : 'peer', nat: name === 'peer' ? 'port-restricted' : 'none', arch: 'x86_64' })),
      digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 600_000 },
    } as Plan;
    const lines: string[] = [];
    await expect(provider.provision(plan, { runId: 'leak1', runDir: join(work, 'leak1'), log: (l) => lines.push(l) })).rejects.toThrow(/never answered SSH within 8 s: mute \(198\./);
    expect(lines.join('\n')).toMatch(/destroying what was created/);
    await nothingLeft();
    delete fake.faults.unreachableName;
  });

  it('Ctrl-C while droplets boot: exit 130, no droplet, key or namespace left', async () => {
    const cwd = join(work, 'sigint');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, '.vps-test.yml'),
      `project: do-sigint
fleet:
  provider: digitalocean
  nodes:
    - { name: boot, role: bootstrap }
    - { name: cone, nat: full-cone }
    - { name: sym, nat: symmetric }
tests:
  connectivity: { trials: 2, min_attempts: 2 }
`,
    );
    const cli = startCli(['run', '--yes'], cwd, { DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token });
    const before = fake.count('POST /v2/droplets');
    for (let i = 0; i < 1200 && fake.count('POST /v2/droplets') === before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fake.count('POST /v2/droplets')).toBe(before + 1);
    expect(fake.account.droplets.size).toBe(3);
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, cli.output()).toBe(130);
    await nothingLeft();
  });

  it('SIGKILL of the controller while droplets boot, then `vps-test down RUN`: nothing left', async () => {
    const cwd = join(work, 'sigkill');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(
      join(cwd, '.vps-test.yml'),
      `project: do-sigkill
fleet:
  provider: digitalocean
  nodes:
    - { name: boot, role: bootstrap }
    - { name: sym, nat: symmetric }
tests:
  connectivity: { trials: 2, min_attempts: 2 }
`,
    );
    const env = { DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token };
    const cli = startCli(['run', '--yes'], cwd, env);
    const before = fake.count('POST /v2/droplets');
    for (let i = 0; i < 1200 && fake.count('POST /v2/droplets') === before; i++) await new Promise((r) => setTimeout(r, 100));
    cli.child.kill('SIGKILL');
    await cli.done;
    expect(fake.account.droplets.size).toBe(2); // the controller died: nothing cleaned up yet
    const runId = readdirSync(join(cwd, '.vps-test', 'runs'))[0] as string;
    const down = await runCli(['down', runId], cwd, env);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    await nothingLeft();
  });
});
