// Fresh clone to first PASS, as a new user does it (README's quick start): `git clone`, `npm ci`,
// then `vps-test run` (the bundled CLI, bin/vps-test.js) in an empty project directory with an
// empty zig cache (XDG_CACHE_HOME pointed at an empty directory). npm's own package cache is
// whatever the machine has (warm here, as on a CI runner with actions/setup-node's cache).
// Run: npx tsx bench/e2e/cold-start.ts [--repo <git dir or url>] [--ref <commit>] [--label after]
//      [--section "cold start"]   (writes that section of bench/RESULTS.md when given)
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunState } from '../../src/run/state.js';
import { updateSection } from '../deploy/results-file.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { repo: { type: 'string', default: REPO }, ref: { type: 'string', default: 'HEAD' }, label: { type: 'string', default: 'this branch' }, section: { type: 'string' } } });

async function timed(what: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; out: string }> {
  const started = performance.now();
  let out = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${what} (\`${argv.join(' ')}\`) exited ${code}:\n${out.slice(-2000)}`);
  return { ms, out };
}

async function duMiB(dir: string): Promise<number> {
  const { out } = await timed('du', ['du', '-sm', dir], os.tmpdir());
  return Number(out.split(/\s+/)[0]);
}

const root = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-cold-'));
const load = os.loadavg();
try {
  const clone = path.join(root, 'vps-test');
  const project = path.join(root, 'project');
  const cache = path.join(root, 'empty-cache');
  await mkdir(project);
  await mkdir(cache);
  const git = await timed('git clone', ['git', 'clone', '--quiet', '--no-local', values.repo as string, clone], root);
  if (values.ref !== 'HEAD') await timed('git checkout', ['git', '-C', clone, 'checkout', '--quiet', values.ref as string], root);
  const npm = await timed('npm ci', ['npm', 'ci', '--no-audit', '--no-fund'], clone);
  const size = await duMiB(path.join(clone, 'node_modules'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
  delete env.ZIG_GLOBAL_CACHE_DIR;
  const run = await timed('vps-test run', [process.execPath, path.join(clone, 'bin', 'vps-test.js'), 'run', '--yes'], project, env);
  const runsDir = path.join(project, '.vps-test', 'runs');
  const [id] = await readdir(runsDir);
  const state = JSON.parse(await readFile(path.join(runsDir, id as string, 'state.json'), 'utf8')) as RunState;
  const stages = state.stages.map((s) => `${s.stage} ${((s.ms ?? 0) / 1000).toFixed(2)} s`).join(', ');
  const zigFetched = await stat(path.join(cache, 'vps-test')).then(() => true, () => false);
  const total = git.ms + npm.ms + run.ms;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const text = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/e2e/cold-start.ts --ref ${values.ref}\` (${values.label}). Load average ${load.map((x) => x.toFixed(1)).join(' / ')} at start, ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} at end (machine shared).`,
    '',
    '| step | time |',
    '| --- | --- |',
    `| git clone | ${s(git.ms)} |`,
    `| npm ci (${size} MiB node_modules) | ${s(npm.ms)} |`,
    `| first \`vps-test run\` to ${state.verdict?.toUpperCase() ?? 'no verdict'} (empty zig cache) | ${s(run.ms)} |`,
    `| **total** | **${s(total)}** |`,
    '',
    `First run's stages: ${stages}. Zig cache after the run: ${zigFetched ? 'written' : 'untouched (zig never ran)'}.`,
  ].join('\n');
  console.log(text);
  if (values.section) await updateSection(path.join(REPO, 'bench', 'RESULTS.md'), values.section, text);
} finally {
  await rm(root, { recursive: true, force: true });
}
