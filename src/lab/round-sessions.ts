// Between rounds the lab reads every machine's path-evidence counters and flushes every NAT
// router (docs/architecture.md, "Between rounds"). A process per machine per round
// (`ip netns exec`, nft's start-up, its cache fill) was most of that wait, so a test stage keeps
// one interactive `nft -j -i` per machine and one `sh` per NAT router for its whole length, and a
// round costs a few lines on their stdin plus one `conntrack -F` fork per router.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Fleet, FleetNode } from '../fleet/types.js';
import { LabError, natRouters, type NatRouter } from './lab.js';
import { natStateFlush } from './recipes/nat.js';
import { EVIDENCE_TABLE } from './recipes/evidence.js';

/** The command whose JSON answer is a machine's counters (the same as `readCountersArgv`). */
export const READ_COUNTERS = `list table ip ${EVIDENCE_TABLE}`;
/** A command that always answers with one JSON line: ends a request that prints nothing itself. */
const SENTINEL = 'list tables';
const DONE = '__vt_done';

interface Pending {
  lines: string[];
  /** true when the request's answer is complete (`line` is its last line) */
  ends(line: string): boolean;
  resolve(lines: string[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** How a session talks to its process: stdin, stdout+stderr, and a way to kill it. */
export interface SessionIo {
  input: Writable;
  output: Readable;
  kill(): void;
}

/**
 * One long-lived process in a namespace, fed commands on stdin, its stdout and stderr one ordered
 * stream (`2>&1`). Requests run one at a time (queued until the process is attached); each
 * collects lines until its end line.
 */
export class LineSession {
  private io: SessionIo | undefined;
  private readonly queue: { text: string; pending: Omit<Pending, 'timer' | 'lines'> }[] = [];
  private current: Pending | undefined;
  private buffer = '';
  private exited: string | undefined;

  constructor(
    readonly what: string,
    private readonly timeoutMs = 10_000,
  ) {}

  attach(io: SessionIo): void {
    this.io = io;
    io.output.setEncoding('utf8');
    io.output.on('data', (d: string) => this.data(d));
    io.output.on('error', () => undefined);
    io.input.on('error', () => undefined); // a session that died answers through `ended`
    this.next();
  }

  /** The process is gone (`why`: how it ended); every waiting request fails naming the session. */
  ended(why: string): void {
    this.fail(why);
  }

  /** Writes `text` once the requests before it are answered; resolves with the answer's lines. */
  request(text: string, ends: (line: string) => boolean): Promise<string[]> {
    if (this.exited) return Promise.reject(new LabError(`${this.what} ${this.exited}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ text, pending: { ends, resolve, reject } });
      this.next();
    });
  }

  close(): void {
    this.io?.input.end();
    this.io?.output.destroy();
  }

  private next(): void {
    if (this.current || this.exited || !this.io) return;
    const item = this.queue.shift();
    if (!item) return;
    const timer = setTimeout(() => {
      this.fail(`gave no answer within ${this.timeoutMs} ms`);
      this.io?.kill();
    }, this.timeoutMs);
    this.current = { ...item.pending, lines: [], timer };
    this.io.input.write(item.text.endsWith('\n') ? item.text : `${item.text}\n`);
  }

  private data(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    // nft underlines the part of a command it refused; the underline says nothing by itself
    if (/^\s*\^[\^~]*\s*$/.test(line)) return;
    const cur = this.current;
    if (!cur) return;
    cur.lines.push(line);
    if (!cur.ends(line)) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    cur.resolve(cur.lines);
    this.next();
  }

  private fail(why: string): void {
    if (this.exited) return;
    this.exited = why;
    const err = new LabError(`${this.what} ${why}`);
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(err);
      this.current = undefined;
    }
    for (const q of this.queue.splice(0)) q.pending.reject(err);
  }
}

/** The machine's own namespace: the NAT router, or the public node itself (lab/fleet.ts). */
function machineNamespace(node: FleetNode): string | undefined {
  return node.routerNamespace ?? node.resources[0];
}

/**
 * Starts every session's process from ONE host-side shell: a spawn from the controller waits
 * until its child has exec'd, tens of milliseconds each on a loaded machine, so one spawn instead
 * of one per session. The shell makes two FIFOs per session (stdin, output) and starts
 * `ip netns exec <ns> <command>` on them; the controller opens both ends read-write and
 * non-blocking (a FIFO open never waits then) and reads the shell's stdout for each session's pid
 * and exit.
 */
const MUX = [
  // every FIFO in one mkfifo (an exec each would cost what the single spawn saves), then ready
  'd=$1; shift; i=0; f=""',
  'while [ $i -lt $(($# / 2)) ]; do f="$f $d/in$i $d/out$i"; i=$((i+1)); done',
  'mkfifo $f || exit 1',
  'echo ready',
  'i=0',
  'while [ $# -gt 0 ]; do',
  '  ( ip netns exec "$1" sh -c "exec $2 2>&1" <"$d/in$i" >"$d/out$i" & echo "pid $i $!"; wait $!; echo "exit $i $?" ) &',
  '  i=$((i+1)); shift 2',
  'done',
  // the shell removes the FIFOs itself: it outlives a controller killed with -9
  'wait; rm -rf "$d"',
].join('\n');

function signalName(code: number): string | undefined {
  return code > 128 ? Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
}

export class SessionHost {
  private readonly mux: ChildProcess;
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'vt-sessions-'));
  private readonly pids = new Map<number, number>();

  constructor(private readonly sessions: { session: LineSession; ns: string; command: string }[]) {
    const args = sessions.flatMap((s) => [s.ns, s.command]);
    this.mux = spawn('sh', ['-c', MUX, 'sh', this.dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let stderr = '';
    this.mux.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    this.mux.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      let at: number;
      while ((at = buffer.indexOf('\n')) >= 0) {
        this.line(buffer.slice(0, at));
        buffer = buffer.slice(at + 1);
      }
    });
    this.mux.on('error', (err) => this.endAll(`could not start: ${err.message}`));
    this.mux.on('exit', (code) => {
      this.endAll(`ended with its host shell (exit ${code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private line(line: string): void {
    const [word, a, b] = line.split(' ');
    if (word === 'ready') {
      for (const [i, s] of this.sessions.entries()) {
        const input = new net.Socket({ fd: openSync(path.join(this.dir, `in${i}`), constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true });
        const output = new net.Socket({ fd: openSync(path.join(this.dir, `out${i}`), constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
        s.session.attach({ input, output, kill: () => this.kill(i) });
      }
    } else if (word === 'pid') {
      this.pids.set(Number(a), Number(b));
    } else if (word === 'exit') {
      const code = Number(b);
      this.sessions[Number(a)]?.session.ended(`ended (${signalName(code) ?? `exit ${code}`})`);
    }
  }

  private kill(i: number): void {
    const pid = this.pids.get(i);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private endAll(why: string): void {
    for (const s of this.sessions) s.session.ended(why);
  }

  /** Ends every session's stdin (each exits at its end), then the host shell ends by itself. */
  close(): void {
    for (const s of this.sessions) s.session.close();
  }
}

/** The nft and sh sessions of a lab's machines for one test stage. */
export class RoundSessions {
  private readonly nft = new Map<string, LineSession>();
  /** nft sessions by namespace: a machine's evidence session, or a carrier router's own */
  private readonly nftIn = new Map<string, LineSession>();
  private readonly sh = new Map<string, LineSession>();
  private readonly routers: NatRouter[];
  private readonly host: SessionHost;

  constructor(fleet: Fleet) {
    const all: { session: LineSession; ns: string; command: string }[] = [];
    for (const node of fleet.nodes) {
      const ns = machineNamespace(node);
      if (!ns) continue;
      const session = new LineSession(`nft session of node "${node.name}" (${ns})`);
      this.nft.set(node.name, session);
      this.nftIn.set(ns, session);
      all.push({ session, ns, command: 'nft -j -i' });
    }
    // every NAT router, a double NAT's carrier too (docs/architecture.md, "Double NAT")
    this.routers = natRouters(fleet);
    for (const r of this.routers) {
      if (!this.nftIn.has(r.namespace)) {
        const nft = new LineSession(`nft session of router "${r.name}" (${r.namespace})`);
        this.nftIn.set(r.namespace, nft);
        all.push({ session: nft, ns: r.namespace, command: 'nft -j -i' });
      }
      const session = new LineSession(`shell of router "${r.name}" (${r.namespace})`);
      this.sh.set(r.namespace, session);
      all.push({ session, ns: r.namespace, command: 'sh' });
    }
    this.host = new SessionHost(all);
  }

  /** Whether the node's counters can be read here (it has a namespace on this host). */
  has(node: string): boolean {
    return this.nft.has(node);
  }

  /** The node's counters as nft prints them (JSON), or an error naming the node and nft's words. */
  async readCounters(node: string): Promise<string> {
    const session = this.nft.get(node);
    if (!session) throw new LabError(`node "${node}" has no namespace on this host`);
    const lines = await session.request(READ_COUNTERS, (l) => l.startsWith('{') || l.trim() === READ_COUNTERS);
    const last = lines.at(-1) as string;
    if (!last.startsWith('{')) throw new LabError(`reading the path evidence on ${node} failed: ${lines.slice(0, -1).join(' ').trim() || 'no answer'}`);
    return last;
  }

  /**
   * Every NAT router forgets everything, as flushConntrack does: its recipe's own state (the cone
   * map, the contacted set), then its connection table.
   */
  async flushNat(): Promise<void> {
    await Promise.all(
      this.routers.map(async (n) => {
        const state = natStateFlush(n.nat).trim();
        if (state) {
          const lines = await this.nftIn.get(n.namespace)!.request(`${state}\n${SENTINEL}`, (l) => l.startsWith('{'));
          const errors = lines.slice(0, -1).filter((l) => /Error/.test(l));
          // A router whose ruleset was replaced on purpose (a NAT changed between soak
          // checkpoints) has no cone state left to flush.
          if (errors.some((l) => !/No such file or directory/.test(l))) throw new LabError(`flushing the NAT state of node "${n.name}" (${n.namespace}): ${lines.slice(0, -1).join(' ').trim()}`);
        }
        const lines = await this.sh.get(n.namespace)!.request(`conntrack -F </dev/null; echo "${DONE} $?"`, (l) => l.startsWith(DONE));
        const code = (lines.at(-1) as string).slice(DONE.length).trim();
        if (code !== '0') throw new LabError(`\`conntrack -F\` on node "${n.name}" (${n.namespace}) failed (exit ${code}): ${lines.slice(0, -1).join(' ').trim()}`);
      }),
    );
  }

  /** Ends every session (each exits at the end of its stdin). */
  close(): void {
    this.host.close();
  }
}
