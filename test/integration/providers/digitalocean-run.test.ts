// `vps-test run` on provider digitalocean, end to end against the fake DigitalOcean whose
// droplets are lab machines: the NAT nodes are emulated on the "droplets" by the rendered
// recipe, the matrix is the oracle's (written out by hand here) and what the droplets' own
// path-evidence counters saw, and afterwards the SSH key and
// every droplet are gone, in the fake's account and on this machine.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { LabMachines } from '../../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';
import { startFakeCloud, stopFakeCloud } from '../../helpers/fake-digitalocean.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping digitalocean run tests: the fake droplets need root (network namespaces, sshd)');

// examples/digitalocean-nat-matrix.yml's fleet (its cargo subject, throughput and soak aside:
// the reference agent is the subject here, as in the lab example)
const CONFIG = `project: do-nat-matrix
fleet:
  provider: digitalocean
  digitalocean: { region: nyc3, size: s-1vcpu-1gb, image: ubuntu-24-04-x64, ttl: 2h }
  nodes:
    - { name: bootstrap-1, role: bootstrap }
    - { name: fullcone,    nat: full-cone }
    - { name: restricted,  nat: address-restricted }
    - { name: portrestr,   nat: port-restricted }
    - { name: symmetric,   nat: symmetric }
    - { name: tokyo,       region: sgp1 }
tests:
  connectivity: { trials: 5, min_attempts: 5, criteria: { direct: 99, nat_traversed: 85, relay: 100 } }
report: { pr_comment: false, journal: false, artifacts: true }
`;

const NEEDS_RELAY = new Set(['portrestr>symmetric', 'symmetric>portrestr', 'symmetric>symmetric']);
const handExpected = (from: string, to: string) => (['bootstrap-1', 'tokyo'].includes(to) ? 'direct' : NEEDS_RELAY.has(`${from}>${to}`) ? 'relay' : 'hole_punch');

describe.skipIf(!isRoot)('vps-test run on DigitalOcean (fake API, lab machines)', () => {
  let work: string;
  let fake: FakeDigitalOcean;
  let machines: LabMachines;
  beforeAll(async () => {
    ({ work, fake, machines } = await startFakeCloud('vt-do-run-'));
  });
  afterAll(() => stopFakeCloud({ work, fake }));

  it('produces the oracle NAT matrix, then leaves no droplet, key or namespace', async () => {
    const cwd = join(work, 'matrix');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, '.vps-test.yml'), CONFIG);
    const r = await runCli(['run', '--yes'], cwd, { DIGITALOCEAN_API_URL: fake.url, DIGITALOCEAN_TOKEN: fake.token });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toMatch(/cost estimate: 6 droplet\(s\)/);
    expect(out).not.toContain(fake.token);
    const runs = readdirSync(join(cwd, '.vps-test', 'runs'));
    const runDir = join(cwd, '.vps-test', 'runs', runs[0] as string);
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as { verdict: string; pairs: { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number; evidence?: Record<string, number> }[] };
    expect(results.verdict).toBe('pass');
    const pairs = results.pairs.filter((p) => p.suite === 'connectivity');
    expect(pairs).toHaveLength(30);
    for (const p of pairs) {
      expect(p.expected_path, `${p.from}->${p.to}`).toBe(handExpected(p.from, p.to));
      expect(p.observed_path, `${p.from}->${p.to}`).toBe(handExpected(p.from, p.to));
      // the droplets' own counters (cloud-init installed them) saw every attempt's path
      expect(p.evidence?.[handExpected(p.from, p.to) === 'relay' ? 'relayed' : 'direct'], `${p.from}->${p.to} evidence ${JSON.stringify(p.evidence)}`).toBe(p.attempts);
    }
    expect(out).toMatch(/path evidence: \d+ reads of 6 machines' counters/);
    // two batches (nyc3 and sgp1), whatever the node count within them
    expect(fake.count('POST /v2/droplets')).toBe(2);
    expect(fake.count('POST /v2/account/keys')).toBe(1);
    expect(fake.account.droplets.size).toBe(0);
    expect(fake.account.keys.size).toBe(0);
    expect(await machines.namespaces()).toEqual([]);
    expect(readdirSync(runDir).join(' ')).not.toMatch(/token/);
    for (const f of readdirSync(runDir, { recursive: true }) as string[]) {
      if (!f.endsWith('.json') && !f.endsWith('.md')) continue;
      expect(readFileSync(join(runDir, f), 'utf8'), f).not.toContain(fake.token);
    }
    fake.assertNoViolations();
  });
});
