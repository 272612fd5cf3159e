// The lab's only door to the system: run one command, get its output. Injected so tests and
// callers can observe or replace it; failures name the command and carry its stderr.
import { spawn } from 'node:child_process';
import { shellQuote } from '../shell/quote.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export type Exec = (argv: string[], options?: ExecOptions) => Promise<ExecResult>;

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    const detail = stderr.trim().split('\n').slice(-5).join(' | ');
    super(`\`${argv.map(shellQuote).join(' ')}\` failed (${code < 0 ? 'could not run' : `exit ${code}`})${detail ? `: ${detail}` : ''}`);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** exec through child_process.spawn (no shell). */
export const systemExec: Exec = (argv, options = {}) =>
  new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    if (!command) {
      reject(new Error('exec: empty command'));
      return;
    }
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let finished = false;
    const finish = (code: number) => {
      if (finished) return; // 'error' and 'close' may both fire
      finished = true;
      clearTimeout(timer);
      if (code !== 0 && !options.allowFailure) reject(new CommandError(argv, code, stderr));
      else resolve({ code, stdout, stderr });
    };
    child.on('error', (err) => {
      stderr += err.message;
      finish(-1);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : -1)));
    child.stdin.on('error', () => undefined); // a command that exits early must not crash us with EPIPE
    child.stdin.end(options.input ?? '');
  });
