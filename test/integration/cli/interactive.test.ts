// In a real terminal (tmux), missing choices are asked and a run is confirmed before anything
// runs; declining leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTmux) console.log('skipping interactive CLI tests: tmux is not installed');

const work = mkdtempSync(join(tmpdir(), 'vps-test-tty-'));
const session = `vt-tty-${process.pid}`;
afterAll(() => {
  try {
    execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
  } catch {}
  rmSync(work, { recursive: true, force: true });
});

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = screen();
    if (pattern.test(text)) return text;
    await sleep(100);
  }
  throw new Error(`screen never showed ${pattern}:\n${screen()}`);
}

function start(args: string): void {
  const cli = join(REPO_ROOT, 'bin/vps-test.js');
  const exitFile = join(work, 'exit');
  rmSync(exitFile, { force: true });
  try {
    tmux('kill-session', '-t', session);
  } catch {}
  // CI unset: this is a person at a terminal
  tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '50', `cd ${work} && env -u CI node ${cli} ${args}; echo $? > ${exitFile}; sleep 60`);
}

async function exitCode(): Promise<number> {
  const file = join(work, 'exit');
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(100);
  return Number(readFileSync(file, 'utf8').trim());
}

describe.skipIf(!hasTmux)('interactive terminal', () => {
  it('plan asks for the choices the flags did not give', async () => {
    start('plan --proof logs');
    await waitFor(/\? Project \(lab-nat-matrix\)/);
    tmux('send-keys', '-t', session, 'my-mesh', 'Enter');
    await waitFor(/\? Focus/);
    tmux('send-keys', '-t', session, 'Down', 'Enter'); // from the default (full-suite) down to the first: connectivity
    await waitFor(/\? Success criteria/);
    tmux('send-keys', '-t', session, 'Enter');
    const text = await waitFor(/estimate/);
    expect(text).not.toMatch(/Proof to keep/); // given as a flag, never asked
    expect(text).toMatch(/Test plan: my-mesh/);
    expect(text).toMatch(/focus\s+connectivity/);
    expect(text).toMatch(/proof\s+logs/);
    expect(await exitCode()).toBe(0);
  });

  it('run shows the plan and does nothing when it is not confirmed', async () => {
    start('run --project p --focus connectivity --criteria threshold --proof logs');
    await waitFor(/Run this plan\?/);
    tmux('send-keys', '-t', session, 'n', 'Enter');
    await waitFor(/not run: nothing was built or provisioned/);
    expect(await exitCode()).toBe(2);
    expect(existsSync(join(work, '.vps-test'))).toBe(false);
  });
});
