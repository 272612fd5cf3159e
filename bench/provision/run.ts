// bench/provision: DigitalOcean provisioning against the fake API (no machines: droplets become
// active after a boot delay, SSH is not waited for), 10 and 50 droplets. Counts API requests by
// kind and wall time for the provider and for a naive baseline (one create per droplet, one GET
// per droplet per poll, as a doctl loop does). Writes the "provision" section of bench/RESULTS.md.
// npx tsx bench/provision/run.ts [--runs 3]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Plan } from '../../src/plan/types.js';
import { DigitalOceanApi } from '../../src/providers/digitalocean/api.js';
import { createDoClient } from '../../src/providers/digitalocean/client.js';
import { DigitalOceanProvider } from '../../src/providers/digitalocean/provider.js';
import { FakeDigitalOcean, NoMachines } from '../../test/fakes/digitalocean/server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const BOOT_MS = 3000;
const POLL_MS = 500;

interface Sample {
  ms: number;
  counts: Record<string, number>;
}

function plan(n: number): Plan {
  return {
    provider: 'digitalocean',
    nodes: Array.from({ length: n }, (_, i) => ({ name: `n${i}`, role: 'peer', nat: i % 2 ? 'symmetric' : 'none', arch: 'x86_64' })),
    digitalocean: { region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', ttlMs: 3_600_000 },
  } as Plan;
}

async function withFake(fn: (fake: FakeDigitalOcean) => Promise<void>): Promise<Sample> {
  const fake = new FakeDigitalOcean({ machines: new NoMachines(BOOT_MS), faults: { dropletLimit: 1000 }, rateLimit: { limit: 10_000, periodMs: 60_000 } });
  await fake.start();
  const started = Date.now();
  try {
    await fn(fake);
    const ms = Date.now() - started;
    fake.assertNoViolations();
    return { ms, counts: Object.fromEntries(fake.counts) };
  } finally {
    await fake.close();
  }
}

async function ours(n: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-provision-'));
  try {
    return await withFake(async (fake) => {
      const provider = new DigitalOceanProvider({ env: { DIGITALOCEAN_TOKEN: fake.token, DIGITALOCEAN_API_URL: fake.url }, pollMs: POLL_MS, reachability: async () => undefined });
      const run = { runId: 'bench1', runDir: join(dir, 'bench1'), log: () => undefined };
      await provider.provision(plan(n), run);
      await provider.destroy(run);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function naive(n: number): Promise<Sample> {
  return withFake(async (fake) => {
    const client = createDoClient({ token: fake.token, baseUrl: fake.url });
    const api = new DigitalOceanApi(client);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const [d] = await api.createDroplets({ names: [`n${i}`], region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [], tags: ['bench'], userData: '#cloud-config\n' });
      ids.push(d?.id as number);
    }
    let pending = [...ids];
    while (pending.length) {
      const still: number[] = [];
      for (const id of pending) {
        const r = await client.api.GET('/v2/droplets/{droplet_id}', { params: { path: { droplet_id: id } } });
        if (r.data?.droplet?.status !== 'active') still.push(id);
      }
      pending = still;
      if (pending.length) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    for (const id of ids) await api.deleteDroplet(id);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const count = (s: Sample, prefix: string) => Object.entries(s.counts).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

const rows: string[] = [];
const all: string[] = [];
for (const n of [10, 50]) {
  for (const [label, fn] of [['vps-test provider', ours], ['naive loop (create and GET per droplet)', naive]] as const) {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await fn(n));
    const m = samples.find((s) => s.ms === median(samples.map((x) => x.ms))) as Sample;
    const polls = count(m, 'GET /v2/droplets');
    rows.push(`| ${n} | ${label} | ${count(m, 'POST /v2/droplets')} | ${polls} | ${count(m, 'DELETE')} | ${Object.values(m.counts).reduce((a, b) => a + b, 0)} | ${(median(samples.map((s) => s.ms)) / 1000).toFixed(2)} s |`);
    all.push(`${n} ${label}: ${samples.map((s) => s.ms).join(', ')} ms; requests of the median run: ${JSON.stringify(m.counts)}`);
    console.log(rows.at(-1));
  }
}

const section = `## provision

Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/provision/run.ts --runs ${RUNS}\` (Node ${process.version}). Against the fake DigitalOcean **without machines** (droplets become \`active\` ${BOOT_MS / 1000} s after creation; SSH is not waited for: 50 namespace droplets with sshd would measure this machine's 2 shared cores, not the API use). Every request and response validated against the official description. Poll interval starts at ${POLL_MS} ms for both (ours grows 1.5x per poll). Median of ${RUNS} runs; request counts are those of the median run, all kinds included (key, sizes, etc.).

| droplets | who | create requests | GET droplets (polls) | deletes | all requests | wall time |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Goal: at most 5 create requests for 50 droplets and polling that does not grow with the droplet count (one list by run tag per poll, 200 per page). All runs:

${all.map((a) => `- ${a}`).join('\n')}

What dominates: the droplets' boot time for ours (polls back off 1.5x, so at 10 droplets the last poll can land up to one interval after the fleet is ready: slower than the naive loop's fixed interval there); for the naive loop at 50 droplets, the 250 requests/minute limit: the client's own limiter (the same for both) holds its requests past the 250th until the minute has passed, which real DigitalOcean would otherwise answer with 429.
`;

const file = join(import.meta.dirname, '..', 'RESULTS.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf('## provision');
const next = start >= 0 ? text.indexOf('\n## ', start + 1) : -1;
const updated = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${next >= 0 ? text.slice(next + 1) : ''}`;
writeFileSync(file, updated);
console.log(`wrote ${file}`);
