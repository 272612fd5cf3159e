// Running build commands: a real process runner, a printable form of a command (what the user
// would paste into a shell), and BuildError, which always carries the failing command and the
// compiler's own stderr.
import { shellQuote } from '../shell/quote.js';
import { spawn } from 'node:child_process';
import type { CommandResult, CommandRunner, CommandSpec } from './types.js';

/** Output kept per stream; compilers can be chatty, the end of stderr is what explains a failure. */
const MAX_CAPTURE = 256 * 1024;

export class BuildError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    readonly stderr?: string,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}


/** "cd DIR && ENV=.. command args" as a user could paste it into a shell. */
export function formatCommand(spec: CommandSpec): string {
  const env = Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${shellQuote(value)}`);
  return ['cd', shellQuote(spec.cwd), '&&', ...env, shellQuote(spec.command), ...spec.args.map(shellQuote)].join(' ');
}

function appendCapped(buffer: string, chunk: string): string {
  const next = buffer + chunk;
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
}

/** The real runner: spawns without a shell, captures both streams. */
export const runProcess: CommandRunner = (spec) => spawnCaptured(spec);

/** How long a build process group gets between SIGTERM and SIGKILL once the run is aborted. */
const KILL_GRACE_MS = 1000;

/**
 * The real runner, bound to the run's abort signal: on abort the command's whole process group
 * (zig and the compilers it spawned) gets SIGTERM, then SIGKILL, and the command fails at once.
 */
export function abortableRunner(signal: AbortSignal, onSpawn?: (pid: number, done: boolean) => void): CommandRunner {
  return (spec) => spawnCaptured(spec, signal, onSpawn);
}

function spawnCaptured(spec: CommandSpec, signal?: AbortSignal, onSpawn?: (pid: number, done: boolean) => void): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new BuildError(`${spec.command} not started: the run was interrupted`, formatCommand(spec)));
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group, so an abort reaches every process the build started
      detached: Boolean(signal),
    });
    // the caller records the group, so a controller killed with -9 can still be cleaned up after
    if (child.pid) onSpawn?.(child.pid, false);
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // the controller dying must not leave a detached compiler behind
    const onExit = () => killGroup('SIGKILL');
    if (signal) process.once('exit', onExit);
    const settle = () => {
      if (child.pid) onSpawn?.(child.pid, true);
      signal?.removeEventListener('abort', onAbort);
      process.off('exit', onExit);
      if (killTimer) clearTimeout(killTimer);
    };
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = appendCapped(stdout, chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = appendCapped(stderr, chunk)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle();
      if (err.code === 'ENOENT') reject(new BuildError(`command not found: ${spec.command}`, formatCommand(spec)));
      else reject(new BuildError(`cannot run ${spec.command}: ${err.message}`, formatCommand(spec)));
    });
    child.on('close', (code, exitSignal) => {
      settle();
      if (signal?.aborted) reject(new BuildError(`${spec.command} stopped: the run was interrupted`, formatCommand(spec)));
      else resolve({ code, signal: exitSignal, stdout, stderr });
    });
  });
}

/** Runs a command and throws a BuildError with the command and its stderr when it fails. */
export async function runChecked(run: CommandRunner, spec: CommandSpec, what: string): Promise<CommandResult> {
  const result = await run(spec);
  if (result.code !== 0) {
    const command = formatCommand(spec);
    const how = result.code === null ? `killed by ${result.signal ?? 'a signal'}` : `exit code ${result.code}`;
    const output = (result.stderr.trim() || result.stdout.trim() || '(no output)').split('\n').slice(-60).join('\n');
    throw new BuildError(`${what} failed (${how})\ncommand: ${command}\n${output}`, command, result.stderr);
  }
  return result;
}
