// Runs the real vps-test CLI (from source, through tsx) as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
// tsx's loader in the CLI's own process (not tsx's wrapper process, which relays signals with a
// race of its own): a Ctrl-C sent to this child reaches vps-test exactly as it would a user's.
const TSX_LOADER = pathToFileURL(resolve(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CLI = resolve(REPO_ROOT, 'src/cli/index.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `bundled`: the CLI exactly as users get it (bin/vps-test.js -> dist/cli.js) instead of the source. */
export function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, { bundled = false } = {}): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  const argv = bundled ? [resolve(REPO_ROOT, 'bin/vps-test.js'), ...args] : ['--import', TSX_LOADER, CLI, ...args];
  const child = spawn(process.execPath, argv, { cwd, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolveDone) => child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, cwd, env).done;
}

/** Namespaces whose name starts with vt<runId>- (a lab's prefix). */
export function namespacesOf(runId: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.split(' ')[0] as string).filter((n) => n.startsWith(`vt${runId}-`));
}

/** Processes whose command line mentions `needle` (e.g. a run folder): sshd, agents, supervisors. */
export function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

export function runDist(args: string[], cwd: string): Promise<CliResult> {
  return startCli(args, cwd, {}, { bundled: true }).done;
}
