// The gate every driver's output passes (docs/architecture.md, "The gate"): an event counts only
// when it was collected from the node it names, belongs to what was planned for that window,
// and (for a success) matches what the network saw. Whatever was planned and produced nothing
// becomes a failed attempt with the reason. Pure: lines and outcomes in, records out.
import type { PathKind } from '../config/model.js';
import type { ExpectedPair } from './expectations.js';
import type { AttemptEvent, GossipEvent, ResultEvent, ThroughputEvent } from './events.js';
import { pairEvidence, type EvidenceNode, type RoundCounters } from './evidence.js';
import { checkLine } from './validate.js';
import { GATE_FINDINGS, type GateFinding, type GateRecord } from './gate-records.js';

/** How a node's process for a window ended. */
export interface Outcome {
  code: number | null;
  timedOut?: boolean;
  /** last non-empty stderr line */
  stderrTail?: string;
  /** the process could not be run at all (SSH failure, ...) */
  error?: string;
}

export type Window =
  | { kind: 'pairs'; suite: string; round: number; pairs: readonly ExpectedPair[]; /** what runs on each node, for reasons: "probe" */ process: string; /** the driver reports no path: the evidence decides it */ pathFromEvidence?: boolean; /** successes must name both ends' instance ids (drivers whose events the subject prints) */ requireIds?: boolean; /** unplanned pairs the driver cannot help attempting (the agent probes every peer it answers): dropped, never counted */ byproducts?: readonly { from: string; to: string }[] }
  | { kind: 'throughput'; from: string; to: string; process: string }
  | { kind: 'gossip'; msg: string; origin: string; receivers: readonly string[]; process: string };

export interface GateOptions {
  nodes: readonly (EvidenceNode & { nat: string })[];
  relays: readonly EvidenceNode[];
  write(record: ResultEvent | GateRecord): void;
}

const pairKey = (from: string, to: string): string => `${from}>${to}`;

/** "fullcone's probe exited 3: no route" */
export function outcomeReason(node: string, process: string, o: Outcome | undefined): string | undefined {
  if (!o) return undefined;
  if (o.error) return `${node}'s ${process} could not run: ${o.error}`;
  if (o.timedOut) return `${node}'s ${process} timed out${o.stderrTail ? `: ${o.stderrTail}` : ''}`;
  if (o.code !== 0) return `${node}'s ${process} exited ${o.code ?? 'by a signal'}${o.stderrTail ? `: ${o.stderrTail}` : ''}`;
  return undefined;
}

export class Gate {
  private window: Window | undefined;
  private attempts = new Map<string, AttemptEvent>();
  private throughputSeen = false;
  private gossipSeen = new Set<string>();
  private readonly idOwner = new Map<string, string>();
  private readonly reused = new Set<string>();
  private readonly lineNo = new Map<string, number>();
  private readonly nodes: Map<string, EvidenceNode & { nat: string }>;
  /** node -> "node b unreachable since round 3 of connectivity": the reason for its unattempted work */
  private readonly down = new Map<string, string>();
  /** attempts on a driver's declared byproduct pairs, dropped */
  ignored = 0;
  readonly findings: Record<GateFinding, number> = Object.fromEntries(GATE_FINDINGS.map((f) => [f, 0])) as Record<GateFinding, number>;

  constructor(private readonly o: GateOptions) {
    this.nodes = new Map(o.nodes.map((n) => [n.name, n]));
  }

  /** Marks a node unreachable (the first reason stays): what it was planned to do and did not is failed with the reason. */
  markUnreachable(node: string, reason: string): void {
    if (!this.down.has(node)) this.down.set(node, reason);
  }

  unreachableNodes(): Set<string> {
    return new Set(this.down.keys());
  }

  open(window: Window): void {
    if (this.window) throw new Error('gate: a window is already open');
    this.window = window;
    this.attempts = new Map();
    this.throughputSeen = false;
    this.gossipSeen = new Set();
  }

  /** One line a node's process printed in the open window. */
  line(node: string, text: string): void {
    const n = (this.lineNo.get(node) ?? 0) + 1;
    this.lineNo.set(node, n);
    const checked = checkLine(text);
    if (!checked.ok) return this.find('malformed', node, `${checked.reason}`, { line: n });
    this.event(node, checked.event);
  }

  /** An event attributed to `node` (a line it printed, or what a driver made of its process). */
  event(node: string, e: ResultEvent): void {
    const w = this.window;
    if (!w) throw new Error('gate: no window open');
    const claimed = e.type === 'gossip' || e.type === 'metric' ? e.node : e.from;
    if (claimed !== node) {
      const what = e.type === 'attempt' || e.type === 'throughput' ? ` ${e.from}->${e.to}` : e.type === 'gossip' ? ` of ${e.msg}` : '';
      return this.find('forged', node, `${e.type === 'attempt' ? 'an' : 'a'} ${e.type}${what} collected from ${node} says ${e.type === 'gossip' || e.type === 'metric' ? 'node' : 'from'}: ${claimed}`);
    }
    if (e.type === 'metric') return this.o.write(e);
    if (e.type === 'attempt' && w.kind === 'pairs') return this.attempt(node, e, w);
    if (e.type === 'throughput' && w.kind === 'throughput') return this.throughput(node, e, w);
    if (e.type === 'gossip' && w.kind === 'gossip') return this.gossip(node, e, w);
    this.find('unplanned', node, `a ${e.type} event from ${node} during ${describe(w)}`);
  }

  private attempt(node: string, e: AttemptEvent, w: Extract<Window, { kind: 'pairs' }>): void {
    if (e.suite !== w.suite || !w.pairs.some((p) => p.from === e.from && p.to === e.to)) {
      if (e.suite === w.suite && w.byproducts?.some((p) => p.from === e.from && p.to === e.to)) {
        this.ignored++;
        return;
      }
      return this.find('unplanned', node, `${e.suite} ${e.from}->${e.to} is not a planned pair of ${describe(w)}`);
    }
    const key = pairKey(e.from, e.to);
    if (this.attempts.has(key)) return this.find('duplicate', node, `a second ${e.suite} ${e.from}->${e.to} attempt in round ${w.round}`);
    this.attempts.set(key, e);
  }

  private throughput(node: string, e: ThroughputEvent, w: Extract<Window, { kind: 'throughput' }>): void {
    if (e.to !== w.to) return this.find('unplanned', node, `throughput ${e.from}->${e.to} during ${describe(w)}`);
    if (this.throughputSeen) return this.find('duplicate', node, `a second throughput result for ${e.from}->${e.to}`);
    this.throughputSeen = true;
    this.o.write(pick(e, ['v', 'type', 'from', 'to', 'bytes', 'seconds', 'mbps', 'loss']));
  }

  private gossip(node: string, e: GossipEvent, w: Extract<Window, { kind: 'gossip' }>): void {
    if (e.msg !== w.msg || e.origin !== w.origin) return this.find('unplanned', node, `gossip of ${e.msg} from ${e.origin} during ${describe(w)}`);
    if (this.gossipSeen.has(node)) return this.find('duplicate', node, `${node} reported ${e.msg} twice`);
    this.gossipSeen.add(node);
    this.o.write(pick(e, ['v', 'type', 'msg', 'origin', 'node', 'hops', 'latency_ms']));
  }

  /** Ends the window: outcomes of each node's process, and the round's counters when measured. */
  close(outcomes: ReadonlyMap<string, Outcome>, counters?: RoundCounters): void {
    const w = this.window;
    if (!w) throw new Error('gate: no window open');
    this.window = undefined;
    if (w.kind === 'pairs') this.closePairs(w, outcomes, counters);
    else if (w.kind === 'throughput') {
      if (!this.throughputSeen) {
        const why = this.down.get(w.from) ?? this.down.get(w.to) ?? outcomeReason(w.from, w.process, outcomes.get(w.from)) ?? `no throughput result from ${w.from}'s ${w.process}`;
        this.o.write({ v: 1, type: 'gate', finding: 'no_result', suite: 'throughput', from: w.from, to: w.to, detail: why });
      }
    } else if (!w.receivers.some((r) => r !== w.origin && this.gossipSeen.has(r))) {
      const why = this.down.get(w.origin) ?? outcomeReason(w.origin, w.process, outcomes.get(w.origin)) ?? `no node reported receiving ${w.msg} from ${w.origin}`;
      this.o.write({ v: 1, type: 'gate', finding: 'no_result', suite: 'gossip', origin: w.origin, msg: w.msg, detail: why });
    }
  }

  private closePairs(w: Extract<Window, { kind: 'pairs' }>, outcomes: ReadonlyMap<string, Outcome>, counters?: RoundCounters): void {
    for (const pair of w.pairs) {
      const a = this.nodes.get(pair.from);
      const b = this.nodes.get(pair.to);
      const ev = a && b ? pairEvidence(counters, a, b, this.o.relays) : { direct: false, relayed: false, evidence: 'unmeasured' as const };
      const e = this.attempts.get(pairKey(pair.from, pair.to));
      const down = this.down.get(pair.from) ?? this.down.get(pair.to);
      if (!e && down) {
        // not probed (or lost with its node): a failed attempt with the reason, never absent
        this.o.write({ v: 1, type: 'attempt', suite: w.suite, from: pair.from, to: pair.to, path: pair.expectedPath, ok: false, error: down, trial: w.round, evidence: ev.evidence });
        continue;
      }
      if (!e) {
        const why = outcomeReason(pair.from, w.process, outcomes.get(pair.from)) ?? `no result from ${pair.from}'s ${w.process}`;
        this.o.write({ v: 1, type: 'attempt', suite: w.suite, from: pair.from, to: pair.to, path: pair.expectedPath, ok: false, error: `${why} (round ${w.round})`, trial: w.round, evidence: ev.evidence, missing: true });
        continue;
      }
      const out: AttemptEvent & Record<string, unknown> = { ...pick(e, ['v', 'type', 'suite', 'from', 'to', 'path', 'ok', 'rtt_ms', 'error', 'from_id', 'to_id']), trial: w.round, evidence: ev.evidence };
      if (e.ok && w.pathFromEvidence) {
        const path: PathKind | undefined = ev.direct ? (b?.nat === 'none' ? 'direct' : 'hole_punch') : ev.relayed ? 'relay' : undefined;
        if (path) out.path = path;
        else if (ev.evidence !== 'unmeasured') falseSuccess(out, `the ${w.process} succeeded but the network saw no packets between the two ends`);
      } else if (e.ok && ev.evidence !== 'unmeasured') {
        if ((e.path === 'direct' || e.path === 'hole_punch') && !ev.direct) falseSuccess(out, `claimed ${e.path} without direct packets both ways (evidence: ${ev.evidence})`);
        else if (e.path === 'relay' && !ev.relayed) falseSuccess(out, `claimed relay without relay packets (evidence: ${ev.evidence})`);
      }
      if (out.ok && w.requireIds && (e.from_id === undefined || e.to_id === undefined)) falseSuccess(out, 'success without the instance ids of both ends (from_id, to_id)');
      if (out.ok) this.checkIdentity(out);
      this.o.write(out);
    }
  }

  /** One node's id must never show up as another node's, anywhere in the run. */
  private checkIdentity(e: AttemptEvent & Record<string, unknown>): void {
    for (const [id, node] of [[e.from_id, e.from], [e.to_id, e.to]] as const) {
      if (id === undefined) continue;
      const owner = this.idOwner.get(id);
      if (owner === undefined) this.idOwner.set(id, node);
      else if (owner !== node) {
        if (!this.reused.has(id)) {
          this.reused.add(id);
          this.find('identity_reuse', e.from, `identity ${JSON.stringify(id)} was ${owner}'s and now answers as ${node}`);
        }
        falseSuccess(e, `identity ${JSON.stringify(id)} belongs to ${owner}, not ${node}`);
      }
    }
  }

  private find(finding: GateFinding, node: string, detail: string, extra: { line?: number } = {}): void {
    this.findings[finding]++;
    this.o.write({ v: 1, type: 'gate', finding, node, detail, ...extra });
  }
}

function falseSuccess(e: AttemptEvent & Record<string, unknown>, reason: string): void {
  e.ok = false;
  e.claimed_ok = true;
  e.false_success = reason;
  e.error = `false success: ${reason}`;
  delete e.rtt_ms;
}

function describe(w: Window): string {
  if (w.kind === 'pairs') return `${w.suite} round ${w.round}`;
  if (w.kind === 'throughput') return `throughput ${w.from}->${w.to}`;
  return `gossip of ${w.msg} from ${w.origin}`;
}

/** Only the protocol's own fields: a subject cannot smuggle gate fields (evidence, ...) through. */
function pick<T extends object>(e: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((e as Record<string, unknown>)[k] !== undefined) out[k] = (e as Record<string, unknown>)[k];
  return out as T;
}
