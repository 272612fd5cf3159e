// Pure parts of the action entry points: inputs, the CLI contract, config annotations, context.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInputs, InputError } from '../../../src/actions/common/inputs.js';
import { childEnv, elevated, newActionRunId, runArgv } from '../../../src/actions/common/cli.js';
import { configAnnotations } from '../../../src/actions/common/annotations.js';
import { jobContext } from '../../../src/actions/common/context.js';
import { configFacts } from '../../../src/actions/common/config-facts.js';
import { configArg } from '../../../src/actions/common/root.js';

const get = (v: Record<string, string>) => (n: string) => v[n] ?? '';

describe('inputs', () => {
  it('defaults, booleans in YAML 1.2 core spelling, choices only when given', () => {
    const i = readInputs(get({ 'pr-comment': 'False', keep: 'TRUE', focus: ' nat-traversal ' }));
    expect(i).toMatchObject({ config: '.vps-test.yml', configIsDefault: true, prComment: false, keep: true, baseline: true, artifacts: true, choices: { focus: 'nat-traversal' }, journal: '' });
    expect(readInputs(get({ config: 'ci/lab.yml' })).configIsDefault).toBe(false);
    expect(() => readInputs(get({ baseline: 'yes' }))).toThrow(InputError);
    expect(() => readInputs(get({ 'retention-days': '91' }))).toThrow(/retention-days: "91" is not a whole number of days from 1 to 90/);
    expect(readInputs(get({ 'retention-days': '7' })).retentionDays).toBe(7);
  });
});

describe('the CLI contract', () => {
  const all = new Set(['--run-id', '--stages', '--run', '--keep', '--baseline', '--branch', '--pr']);
  it('passes what the CLI advertises, and refuses stage runs on a CLI without --stages', () => {
    const req = { config: '/ws/.vps-test.yml', runId: 'abcde', keep: true, baseline: '/ws/b.json', branch: 'feat', pr: 7, choices: { focus: 'gossip', proof: undefined } };
    expect(runArgv(req, all)).toEqual(['run', '/ws/.vps-test.yml', '--yes', '--run-id', 'abcde', '--keep', '--baseline', '/ws/b.json', '--branch', 'feat', '--pr', '7', '--focus', 'gossip']);
    expect(runArgv({ runId: 'abcde' }, new Set())).toEqual(['run', '--yes']);
    // a continued run: no config, no --run-id, no choices (the CLI refuses them with --run)
    expect(runArgv({ config: '/ws/.vps-test.yml', runId: 'abcde', stages: ['test', 'evaluate'], run: 'abcde', keep: true }, all)).toEqual(['run', '--yes', '--stages', 'test,evaluate', '--run', 'abcde', '--keep']);
    expect(() => runArgv({ runId: 'abcde', stages: ['provision'], run: 'abcde', choices: { focus: 'gossip' } }, all)).toThrow(/input focus: run abcde was planned by its first stage; give the choices to the step that starts it/);
    expect(runArgv({ runId: 'abcde', stages: ['soak', 'evaluate'], run: 'abcde', soakUntil: 'next' }, new Set([...all, '--soak-until']))).toEqual(['run', '--yes', '--stages', 'soak,evaluate', '--run', 'abcde', '--soak-until', 'next']);
    expect(() => runArgv({ runId: 'abcde', stages: ['soak'], run: 'abcde', soakUntil: 'next' }, all)).toThrow(/no --soak-until/);
    expect(() => runArgv({ runId: 'x', stages: ['provision'] }, new Set(['--run-id']))).toThrow(/this vps-test CLI has no --stages/);
  });

  it('elevates with sudo -E keeping PATH, and never hands the job tokens to the child', () => {
    expect(elevated({ mode: 'root' }, ['node', 'cli.js'])).toEqual(['node', 'cli.js']);
    expect(elevated({ mode: 'sudo' }, ['node', 'cli.js']).slice(0, 5)).toEqual(['sudo', '-E', '-n', 'env', `PATH=${process.env.PATH}`]);
    const env = childEnv({ PATH: '/bin', 'INPUT_GITHUB-TOKEN': 't', 'INPUT_DIGITALOCEAN-TOKEN': 'd', ACTIONS_RUNTIME_TOKEN: 'r', GITHUB_TOKEN: 'g', INPUT_CONFIG: 'c' }, { DIGITALOCEAN_TOKEN: 'd', VPS_TEST_SSH_SECRET: '' });
    expect(env).toEqual({ PATH: '/bin', INPUT_CONFIG: 'c', DIGITALOCEAN_TOKEN: 'd', CI: 'true' });
  });

  it('run ids look like the CLI own (a letter, then 4 of [a-z0-9])', () => {
    for (let i = 0; i < 50; i++) expect(newActionRunId()).toMatch(/^[a-z][a-z0-9]{4}$/);
  });
});

describe('which config the action passes', () => {
  it('the file when it exists; nothing (the default lab example) when the default name is absent; a named file that is missing is an error', () => {
    const ws = mkdtempSync(join(tmpdir(), 'vt-cfg-'));
    try {
      expect(configArg(readInputs(get({})), ws)).toEqual({});
      writeFileSync(join(ws, '.vps-test.yml'), 'project: x\n');
      expect(configArg(readInputs(get({})), ws)).toEqual({ path: join(ws, '.vps-test.yml') });
      expect(configArg(readInputs(get({ config: 'ci/lab.yml' })), ws)).toEqual({ problem: `input config: ci/lab.yml does not exist in ${ws}` });
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});

describe('config annotations', () => {
  it('turns file:line:col problems into workspace-relative annotations and ignores other lines', () => {
    const stderr = '2 problems in the config; nothing was run:\n/ws/.vps-test.yml:4:17: fleet.nodes[0].nat: unknown NAT type\n/elsewhere/x.yml:1:1: project: required\nnot a problem: 1:2\n';
    expect(configAnnotations(stderr, '/ws')).toEqual([
      { file: '.vps-test.yml', line: 4, col: 17, message: 'fleet.nodes[0].nat: unknown NAT type' },
      { file: '/elsewhere/x.yml', line: 1, col: 1, message: 'project: required' },
    ]);
  });
});

describe('job context and config facts', () => {
  it('reads branch, base branch, PR number and attempt as the runner sets them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vt-ctx-'));
    try {
      writeFileSync(join(dir, 'e.json'), JSON.stringify({ pull_request: { number: 9, head: { ref: 'feat' }, base: { ref: 'main' } } }));
      const ctx = jobContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: join(dir, 'e.json'), GITHUB_RUN_ATTEMPT: '3', GITHUB_RUN_ID: '77' });
      expect(ctx).toMatchObject({ owner: 'o', repo: 'r', branch: 'feat', baseBranch: 'main', prNumber: 9, attempt: '3', runUrl: 'https://github.com/o/r/actions/runs/77' });
      expect(jobContext({ GITHUB_REF_NAME: 'main' })).toMatchObject({ branch: 'main', attempt: '1' });
      writeFileSync(join(dir, 'c.yml'), 'project: p2p\nfleet:\n  provider: digitalocean\n');
      expect(configFacts(join(dir, 'c.yml'), 'x')).toEqual({ project: 'p2p', provider: 'digitalocean' });
      expect(configFacts(undefined, 'lab-nat-matrix')).toEqual({ project: 'lab-nat-matrix', provider: 'local' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
