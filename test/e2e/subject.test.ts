// The user's own program on the lab, end to end: examples/own-binary (command driver, paths
// from the network's evidence alone), examples/own-harness (events driver), and the dishonest
// twins of examples/broken/, each of which must fail naming what is wrong. The expected matrix
// is written out here by hand (the NAT table of docs/architecture.md), independently of the oracle the code uses.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespacesOf, processesMentioning, REPO_ROOT, runCli } from '../helpers/cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping e2e subject tests: they need root (network namespaces, nftables, sshd)');

interface PairJson { suite: string; from: string; to: string; expected_path: string; observed_path: string; attempts: number; successes: number; evidence?: Record<string, number> }
interface ResultsFile { schema: string; verdict: string; reasons: string[]; pairs: PairJson[]; dead?: { kind: string; name: string }[]; categories: Record<string, { rate: number | null; passed: boolean | null }> }

let examples: string;
beforeAll(() => {
  const work = mkdtempSync(join(tmpdir(), 'vps-test-subject-'));
  examples = join(work, 'examples');
  cpSync(join(REPO_ROOT, 'examples'), examples, { recursive: true, filter: (src) => !src.includes('/target') && !src.includes('/.vps-test') });
});
afterAll(() => rmSync(join(examples, '..'), { recursive: true, force: true }));

async function run(config: string, expectedExit: number): Promise<{ results: ResultsFile; runDir: string; stdout: string }> {
  const cwd = join(examples, config.includes('/') ? config.split('/')[0] as string : '.');
  const file = config.split('/').pop() as string;
  const r = await runCli(['run', file, '--yes'], cwd);
  expect(r.code, r.stdout + r.stderr).toBe(expectedExit);
  const runId = /vps-test run (\w+):/.exec(r.stdout)?.[1] as string;
  const runDir = join(cwd, '.vps-test', 'runs', runId);
  const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as ResultsFile;
  expect(namespacesOf(runId)).toEqual([]);
  expect(processesMentioning(runDir)).toEqual([]);
  expect(existsSync(join(runDir, 'lab', 'keys', 'client'))).toBe(false);
  return { results, runDir, stdout: r.stdout };
}

const PUBLIC = new Set(['bootstrap', 'public']);
const NEEDS_RELAY = new Set(['portrestr>symmetric', 'symmetric>portrestr', 'symmetric>symmetric']);
const handExpected = (from: string, to: string) => (PUBLIC.has(to) ? 'direct' : NEEDS_RELAY.has(`${from}>${to}`) ? 'relay' : 'hole_punch');

describe.skipIf(!isRoot)('your own program on the lab', () => {
  it('own-binary: a Rust program with its own rendezvous; the NAT matrix from path evidence alone', async () => {
    const { results, runDir } = await run('own-binary.yml', 0);
    expect(results.verdict).toBe('pass');
    expect(results.schema).toBe('vps-test/results@1.1');
    expect(results.pairs).toHaveLength(30);
    for (const p of results.pairs) {
      const expected = handExpected(p.from, p.to);
      // The matrix is what the network saw, pair by pair. This is a real program punching through
      // real NATs: one attempt of a pair may still fall back to its relay on a loaded machine,
      // which fails that attempt (the pooled criteria judge the rate) but is not another matrix.
      expect(p.observed_path, `${p.from}->${p.to}`).toBe(expected);
      expect(p.successes, `${p.from}->${p.to}`).toBeGreaterThanOrEqual(p.attempts - 1);
      expect(p.evidence?.[expected === 'relay' ? 'relayed' : 'direct'], `${p.from}->${p.to} ${JSON.stringify(p.evidence)}`).toBe(p.successes);
    }
    // built by our cargo builder through zig, glibc pinned at 2.17
    const binary = join(runDir, 'build', 'x86_64-unknown-linux-gnu.2.17', 'p2p-demo');
    const dynsyms = execFileSync('objdump', ['-T', binary], { encoding: 'utf8' });
    const versions = [...dynsyms.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter(([major, minor]) => major > 2 || (major === 2 && minor > 17))).toEqual([]);
    expect(execFileSync('objdump', ['-f', binary], { encoding: 'utf8' })).toMatch(/elf64-x86-64/);
  });

  it('own-harness: a harness printing its own result events, through the events driver', async () => {
    const { results } = await run('own-harness.yml', 0);
    expect(results.verdict).toBe('pass');
    for (const p of results.pairs) expect(p.observed_path, `${p.from}->${p.to}`).toBe(handExpected(p.from, p.to));
  });

  it('broken/fake-success: success claimed, nothing sent: false success named', async () => {
    const { results } = await run('broken/fake-success.yml', 1);
    expect(results.reasons[0]).toBe('false success: 24 attempts on 12 pairs claimed what the network did not see (the connect command succeeded but the network saw no packets between the two ends: bootstrap->public, bootstrap->fullcone, bootstrap->symmetric, public->bootstrap, public->fullcone (+7 more))');
    expect(results.pairs.every((p) => p.successes === 0 && p.evidence?.none === p.attempts)).toBe(true);
  });

  it('broken/forged-origin: a node signing as another is rejected and named', async () => {
    const { results } = await run('broken/forged-origin.yml', 1);
    expect(results.reasons[0]).toMatch(/^4 events rejected \(signed as another node\): an attempt public->bootstrap collected from fullcone says from: public, an attempt public->public collected from fullcone says from: public$/);
    // fullcone's own pairs got nothing it was willing to sign: failed, with the reason
    expect(results.pairs.find((p) => p.from === 'fullcone' && p.to === 'public')).toMatchObject({ successes: 0, attempts: 2 });
  });

  it('broken/throughput-gap: a pair that never connects is listed as failed, with its stderr', async () => {
    const { results } = await run('broken/throughput-gap.yml', 1);
    expect(results.reasons).toContain("throughput public->bootstrap measured nothing: public's throughput command exited 1: connect to bootstrap: connection refused");
    expect(results.reasons).toContain("throughput fullcone->bootstrap measured nothing: fullcone's throughput command exited 1: connect to bootstrap: connection refused");
  });

  it('broken/gossip-silent-origin: an origin nobody heard is a failure, never an absent message', async () => {
    const { results } = await run('broken/gossip-silent-origin.yml', 1);
    expect(results.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^gossip m\d+-c from c reached nobody: no node reported receiving m\d+-c from c$/), expect.stringMatching(/^gossip delivery below 100%: m\d+-c 0\.0% \(0\/2\)$/)]));
  });

  it('broken/dead-class: one NAT class dead while its pooled category passes: named, and fails as asked', async () => {
    const { results } = await run('broken/dead-class.yml', 1);
    expect(results.categories.nat_traversed?.passed).toBe(true);
    expect(results.dead).toEqual([expect.objectContaining({ kind: 'class', name: 'full-cone->symmetric' })]);
    expect(results.reasons).toEqual(['dead: class full-cone->symmetric never succeeded in 3 attempts']);
  });
});
