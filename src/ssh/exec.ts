// One command over one SSH channel: streamed output, exit status, timeout and abort that kill
// the remote process group (not just the channel), optional stdin.
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { takePidLine } from './wrap.js';

/** The part of an ssh2 channel we use (ssh2 ships no types here). */
export interface RawChannel {
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'exit', listener: (code: number | null, signal?: string) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  stderr: { on(event: 'data', listener: (chunk: Buffer) => void): unknown };
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): void;
  close(): void;
  destroy(): void;
}

/** The part of an ssh2 client we use. */
export interface RawClient {
  exec(command: string, callback: (err: Error | undefined, channel: RawChannel) => void): boolean;
  end(): void;
  on(event: string, listener: (...args: unknown[]) => void): this;
}

export interface ExecOptions {
  /** Kill the remote command (whole process group) after this long; the result says timedOut. */
  timeoutMs?: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Run AS the node: wrap in the node's execPrefix (e.g. its network namespace). */
  asNode?: boolean;
  /** Aborting kills the remote command and rejects with an AbortError. */
  signal?: AbortSignal;
  /** Data for the command's stdin; stdin is closed after it (or at once when absent). */
  stdin?: string | Buffer | Readable;
  /** Cap on the stdout/stderr kept in the result (callbacks still see everything). Default 32 MiB. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  /** Exit status; null when the command died of a signal or was killed on timeout. */
  code: number | null;
  stdout: string;
  stderr: string;
  signal?: string;
  timedOut: boolean;
  durationMs: number;
}

export class ExecAbortedError extends Error {
  override name = 'AbortError';
}

const PID_SEARCH_LIMIT = 64 * 1024;
const CLOSE_GRACE_MS = 5000;

/** Collects a stream's text up to a cap, remembering that it was cut. */
class Collector {
  private parts: string[] = [];
  private size = 0;
  private cut = false;
  constructor(private readonly cap: number) {}
  add(text: string): void {
    if (this.size >= this.cap) {
      this.cut = true;
      return;
    }
    const room = this.cap - this.size;
    const piece = text.length > room ? text.slice(0, room) : text;
    if (piece.length < text.length) this.cut = true;
    this.parts.push(piece);
    this.size += piece.length;
  }
  text(): string {
    return this.parts.join('') + (this.cut ? `\n[output truncated at ${this.cap} bytes]\n` : '');
  }
}

export interface ChannelRunDeps {
  /** Kills the remote process group led by `pid` (over another channel). */
  kill: (pid: number) => Promise<void>;
  /** Names the node for messages. */
  what: string;
}

/**
 * Runs an already wrapped command (see wrapCommand) on `client`. The first stdout line carries
 * the remote pid; it is stripped from the output and used to kill on timeout or abort.
 */
export function runOnChannel(client: RawClient, wrapped: string, options: ExecOptions, deps: ChannelRunDeps): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ExecAbortedError(`exec on ${deps.what} aborted before it started`));
      return;
    }
    const started = Date.now();
    const cap = options.maxOutputBytes ?? 32 * 1024 * 1024;
    const stdout = new Collector(cap);
    const stderr = new Collector(cap);
    const outDecoder = new StringDecoder('utf8');
    const errDecoder = new StringDecoder('utf8');
    let pid: number | undefined;
    let head = ''; // stdout before the pid line was seen
    let code: number | null = null;
    let exited = false;
    let exitSignal: string | undefined;
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killing: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    let channel: RawChannel | undefined;

    const emitOut = (text: string) => {
      if (!text) return;
      stdout.add(text);
      options.onStdout?.(text);
    };
    const emitErr = (text: string) => {
      if (!text) return;
      stderr.add(text);
      options.onStderr?.(text);
    };
    const onStdoutText = (text: string) => {
      if (pid !== undefined) return emitOut(text);
      head += text;
      const found = takePidLine(head);
      if (found) {
        pid = found.pid;
        head = '';
        emitOut(found.before + found.rest);
        if (stopPending) stop();
      } else if (head.length > PID_SEARCH_LIMIT) {
        pid = -1; // no marker: pass the output through, kill falls back to closing the channel
        emitOut(head);
        head = '';
        if (stopPending) stop();
      }
    };

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      if (closeTimer) clearTimeout(closeTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      cleanup();
      onStdoutText(outDecoder.end());
      if (head) emitOut(head);
      emitErr(errDecoder.end());
      const result: ExecResult = {
        code: timedOut || aborted ? null : code,
        stdout: stdout.text(),
        stderr: stderr.text(),
        timedOut,
        durationMs: Date.now() - started,
      };
      if (exitSignal) result.signal = exitSignal;
      const done = () => {
        if (aborted) return reject(new ExecAbortedError(`exec on ${deps.what} aborted; remote command killed`));
        // a channel that closes without an exit status: the connection went away under us
        if (!exited && !timedOut) return reject(new Error(`lost the connection to ${deps.what} while a command was running`));
        resolve(result);
      };
      // Report only after the remote kill finished, so "timed out" means "and it is gone".
      if (killing) killing.then(done, done);
      else done();
    };
    let stopPending = false;
    const armCloseTimer = () => {
      if (closeTimer) return;
      // The channel closes by itself once the command is dead; close it ourselves if it lingers.
      closeTimer = setTimeout(() => {
        try {
          channel?.close();
        } catch {
          /* already closed */
        }
        setTimeout(finish, 500).unref();
      }, CLOSE_GRACE_MS);
      closeTimer.unref();
    };
    const stop = () => {
      if (killing || settled || !channel) return;
      if (pid === undefined) {
        stopPending = true; // kill as soon as the pid line arrives
        armCloseTimer();
        return;
      }
      const target = pid;
      const ch = channel;
      killing = (target > 0 ? deps.kill(target) : Promise.resolve(ch.close())).catch((err: unknown) => {
        emitErr(`\n[vps-test] could not kill remote process group ${target} on ${deps.what}: ${(err as Error).message}\n`);
      });
      armCloseTimer();
    };
    function onAbort() {
      aborted = true;
      stop();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const attach = (ch: RawChannel) => {
      channel = ch;
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs);
      }
      ch.on('data', (chunk: Buffer) => onStdoutText(outDecoder.write(chunk)));
      ch.stderr.on('data', (chunk: Buffer) => emitErr(errDecoder.write(chunk)));
      ch.on('exit', (exitCode: number | null, sig?: string) => {
        exited = true;
        code = exitCode;
        if (sig) exitSignal = sig;
      });
      ch.on('error', (e: Error) => emitErr(`\n[vps-test] channel error on ${deps.what}: ${e.message}\n`));
      ch.on('close', finish);
      writeStdin(ch, options.stdin);
      if (aborted) stop(); // aborted while the channel was opening
    };
    const fail = (error: Error) => {
      settled = true;
      cleanup();
      reject(error);
    };
    const open = (attempt: number): void => {
      client.exec(wrapped, (err, ch) => {
        if (!err) return attach(ch);
        if (aborted) return fail(new ExecAbortedError(`exec on ${deps.what} aborted before it started`));
        // sshd frees a session slot a moment after the channel closed ("no more sessions")
        if (isTransientOpenFailure(err) && attempt < OPEN_RETRIES) {
          setTimeout(() => open(attempt + 1), Math.min(10 * 2 ** attempt, 400));
          return;
        }
        fail(new Error(`cannot start a command on ${deps.what}: ${err.message}`));
      });
    };
    open(0);
  });
}

const OPEN_RETRIES = 12;

/** sshd refuses a channel while its MaxSessions slots are still being released. */
export function isTransientOpenFailure(err: Error): boolean {
  return /open failed|Channel open failure|no more sessions/i.test(err.message);
}

function writeStdin(channel: RawChannel, input: ExecOptions['stdin']): void {
  if (input === undefined) return channel.end();
  if (typeof input === 'string' || Buffer.isBuffer(input)) return channel.end(input);
  input.on('error', () => channel.end());
  input.pipe(channel as unknown as NodeJS.WritableStream);
}
