// The CLI as a user meets it: help, bad input (exit 2, a clear message, no stack trace), and
// commands that need no root: validate, plan, report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'vps-test-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('vps-test CLI', () => {
  it('answers --help for the tool and every command', async () => {
    const top = await runCli(['--help'], work);
    expect(top.code).toBe(0);
    for (const command of ['run', 'plan', 'validate', 'report', 'up', 'nodes', 'diagnose', 'down']) expect(top.stdout).toContain(`  ${command}`);
    for (const command of ['run', 'plan', 'validate', 'report', 'up', 'nodes', 'diagnose', 'down']) {
      const r = await runCli([command, '--help'], work);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`Usage: vps-test ${command}`));
    }
  }, 60_000);

  it('names unknown commands and flags without a stack trace', async () => {
    const unknown = await runCli(['rnu'], work);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'rnu'/);
    const flag = await runCli(['plan', '--fokus', 'x'], work);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/plan: Unknown option '--fokus'/);
    expect(flag.stderr).not.toMatch(/\n\s+at /);
    const choice = await runCli(['plan', '--focus', 'speed', '--yes'], work);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toMatch(/--focus speed: not one of connectivity, nat-traversal, gossip, throughput, full-suite/);
  });

  it('validate reports every problem with file:line:col and exits 2', async () => {
    const file = join(work, 'bad.yml');
    writeFileSync(file, 'fleet:\n  provider: locl\n  nodes:\n    - { name: a, nat: ful-cone }\n    - { name: b }\n');
    const r = await runCli(['validate', file], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^2 problems in the config; nothing was run:\nbad\.yml:2:13: fleet\.provider: "locl" is not allowed \(did you mean 'local'\?\)/);
    expect(r.stderr).toMatch(/bad\.yml:4:23: fleet\.nodes\[0\]\.nat: "ful-cone" is not allowed/);
    const missing = await runCli(['validate'], work);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\.vps-test\.yml:1:1: file not found/);
  });

  it('plan prints the default example without asking when there is no TTY', async () => {
    const r = await runCli(['plan'], work);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Test plan: lab-nat-matrix/);
    expect(r.stdout).toContain('30 ordered pairs x 10 trials = 300 attempts');
    const json = await runCli(['plan', '--json', '--focus', 'nat-traversal', '--criteria', 'all-pass'], work);
    const plan = JSON.parse(json.stdout) as { choices: { focus: string }; thresholds: Record<string, number> };
    expect(plan.choices.focus).toBe('nat-traversal');
    expect(plan.thresholds).toEqual({ nat_traversed: 100, relay: 100 });
  });

  it('report renders every file from a user harness events file', async () => {
    const events = join(work, 'events.jsonl');
    const lines = [
      ...Array.from({ length: 10 }, () => JSON.stringify({ v: 1, type: 'attempt', suite: 'connectivity', from: 'a', to: 'b', path: 'direct', ok: true, rtt_ms: 1.5 })),
      'not json',
    ];
    writeFileSync(events, `${lines.join('\n')}\n`);
    const out = join(work, 'report');
    const r = await runCli(['report', '--results', events, '--out', out, '--threshold', 'direct=99', '--now', '2026-01-02T03:04:05Z'], work);
    // a malformed line is reported, never dropped, and untolerated it makes the verdict an error
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/ERROR/);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/direct.*10\/10/);
    expect(md).toMatch(/events\.jsonl:11` not JSON/);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).malformed.count).toBe(1);
  });

  it('refuses what this version cannot run before anything is built or provisioned', async () => {
    const cwd = mkdtempSync(join(work, 'refuse-'));
    writeFileSync(join(cwd, 'do.yml'), readFileSync(join(REPO_ROOT, 'examples/digitalocean-nat-matrix.yml'), 'utf8'));
    const cloud = await runCli(['run', 'do.yml', '--yes'], cwd, { DIGITALOCEAN_TOKEN: '' });
    expect(cloud.code).toBe(2);
    // refused in the plan stage, before the build: the run says why and nothing was made
    expect(cloud.stderr).toMatch(/provider digitalocean needs an API token: export DIGITALOCEAN_TOKEN/);
    expect(cloud.stderr).not.toMatch(/build \.\.\./);
  });
});
