// Between rounds the lab reads every machine's path-evidence counters and flushes every NAT
// router (docs/architecture.md, "Between rounds"). A process per machine per round
// (`ip netns exec`, nft's start-up, its cache fill) was most of that wait, so a test stage keeps
// one interactive `nft -j -i` per machine and one `sh` per NAT router for its whole length, and a
// round costs a few lines on their stdin plus one `conntrack -F` fork per router.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Fleet, FleetNode } from '../fleet/types.js';
import { LabError } from './lab.js';
import { natStateFlush, type NatKind } from './recipes/nat.js';
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

/**
 * One long-lived process in a namespace, fed commands on stdin, its stdout and stderr one ordered
 * stream (`2>&1`). Requests run one at a time; each collects lines until its end line.
 */
export class LineSession {
  private readonly child: ChildProcess;
  private readonly queue: { text: string; pending: Omit<Pending, 'timer' | 'lines'> }[] = [];
  private current: Pending | undefined;
  private buffer = '';
  private exited: string | undefined;

  constructor(
    readonly what: string,
    ns: string,
    command: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `exec ${command} 2>&1`], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => this.data(d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.data(d));
    this.child.stdin!.on('error', () => undefined); // a session that died answers through 'exit'
    this.child.on('error', (err) => this.fail(`could not start: ${err.message}`));
    this.child.on('exit', (code, signal) => this.fail(`ended (${signal ?? `exit ${code}`})`));
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
    this.child.stdin!.end();
  }

  private next(): void {
    if (this.current || this.exited) return;
    const item = this.queue.shift();
    if (!item) return;
    const timer = setTimeout(() => {
      this.fail(`gave no answer within ${this.timeoutMs} ms`);
      this.child.kill('SIGKILL');
    }, this.timeoutMs);
    this.current = { ...item.pending, lines: [], timer };
    this.child.stdin!.write(item.text.endsWith('\n') ? item.text : `${item.text}\n`);
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

/** The nft and sh sessions of a lab's machines for one test stage. */
export class RoundSessions {
  private readonly nft = new Map<string, LineSession>();
  private readonly sh = new Map<string, LineSession>();
  private readonly routers: FleetNode[];

  constructor(fleet: Fleet) {
    for (const node of fleet.nodes) {
      const ns = machineNamespace(node);
      if (ns) this.nft.set(node.name, new LineSession(`nft session of node "${node.name}" (${ns})`, ns, 'nft -j -i'));
    }
    this.routers = fleet.nodes.filter((n) => n.routerNamespace && n.nat !== 'none');
    for (const r of this.routers) this.sh.set(r.name, new LineSession(`shell of router "${r.name}" (${r.routerNamespace})`, r.routerNamespace as string, 'sh'));
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
        const state = natStateFlush(n.nat as NatKind).trim();
        if (state) {
          const lines = await this.nft.get(n.name)!.request(`${state}\n${SENTINEL}`, (l) => l.startsWith('{'));
          const errors = lines.slice(0, -1).filter((l) => /Error/.test(l));
          // A router whose ruleset was replaced on purpose (a NAT changed between soak
          // checkpoints) has no cone state left to flush.
          if (errors.some((l) => !/No such file or directory/.test(l))) throw new LabError(`flushing the NAT state of node "${n.name}" (${n.routerNamespace}): ${lines.slice(0, -1).join(' ').trim()}`);
        }
        const lines = await this.sh.get(n.name)!.request(`conntrack -F </dev/null; echo "${DONE} $?"`, (l) => l.startsWith(DONE));
        const code = (lines.at(-1) as string).slice(DONE.length).trim();
        if (code !== '0') throw new LabError(`\`conntrack -F\` on node "${n.name}" (${n.routerNamespace}) failed (exit ${code}): ${lines.slice(0, -1).join(' ').trim()}`);
      }),
    );
  }

  /** Ends every session (each exits at the end of its stdin). */
  close(): void {
    for (const s of [...this.nft.values(), ...this.sh.values()]) s.close();
  }
}
