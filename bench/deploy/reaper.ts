// The benchmark's safety net. Started detached (its own session: a Ctrl-C in the terminal does
// not reach it) with a pipe from the benchmark as stdin, on which the benchmark announces what
// it creates:
//   lab <run-id>          a lab to destroy
//   proc <pid> <marker>   a process to end, only if its command line still contains <marker>
//   rm <dir>              a directory to remove
//   clear                 the benchmark cleaned up itself: forget everything
// When the pipe closes without `clear` (the benchmark died: tsx SIGKILLs a child that does not
// acknowledge a relayed Ctrl-C within 30 ms, or someone ran kill -9), it removes what is left.
import { readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { destroyLab } from '../../src/lab/index.js';

const labs = new Set<string>();
const procs = new Map<number, string>();
const dirs = new Set<string>();

async function stillOurs(pid: number, marker: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.replace(/\0/g, ' ').includes(marker);
}

async function endProcess(pid: number, marker: string): Promise<void> {
  if (!(await stillOurs(pid, marker))) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && (await stillOurs(pid, marker)); i++) await new Promise((r) => setTimeout(r, 20));
  if (await stillOurs(pid, marker)) process.kill(pid, 'SIGKILL');
}

async function reap(): Promise<void> {
  const done: string[] = [];
  for (const [pid, marker] of procs) {
    await endProcess(pid, marker).catch(() => undefined);
  }
  for (const runId of labs) {
    const report = await destroyLab(runId).catch((err: Error) => {
      console.error(`bench reaper: could not destroy lab ${runId}: ${err.message}`);
      return undefined;
    });
    if (report && report.namespaces.length > 0) done.push(`lab ${runId} (${report.namespaces.length} namespaces)`);
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  if (done.length > 0) console.error(`bench reaper: the benchmark ended without cleaning up; removed ${done.join(', ')}`);
}

process.on('SIGINT', () => undefined);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [what, arg, ...rest] = line.trim().split(' ');
  if (what === 'lab' && arg) labs.add(arg);
  else if (what === 'proc' && arg) procs.set(Number(arg), rest.join(' '));
  else if (what === 'rm' && arg) dirs.add([arg, ...rest].join(' '));
  else if (what === 'clear') {
    labs.clear();
    procs.clear();
    dirs.clear();
  }
});
lines.on('close', () => {
  void reap().finally(() => process.exit(0));
});
