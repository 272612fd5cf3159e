// Helpers for end-to-end tests that drive a running `vps-test run` on the lab: wait for a line
// of its output, find a node's sshd processes (to kill or freeze them).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { startCli } from './cli.js';

/** Waits until the run printed `pattern` (or ended, or `ms` passed), then asserts it did. */
export async function waitFor(run: ReturnType<typeof startCli>, pattern: RegExp, ms = 240_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(run.output()) && Date.now() < deadline && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  expect(run.output()).toMatch(pattern);
}

/** The lab sshd of one node and every sshd process under it (its sessions). */
export function sshdTree(runDir: string, node: string): number[] {
  const master = Number(readFileSync(join(runDir, 'lab', '.sshd', `${node}.pid`), 'utf8').trim());
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/));
  const tree = new Set([master]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid, comm] of rows) {
      if (comm === 'sshd' && tree.has(Number(ppid)) && !tree.has(Number(pid))) {
        tree.add(Number(pid));
        grew = true;
      }
    }
  }
  return [...tree];
}
