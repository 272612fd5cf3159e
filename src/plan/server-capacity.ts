// How big the rendezvous server's session table must be, and how long a session it was never
// told is over may live, from the plan: sized to the rounds, not to a fixed 12,288 / 60 s
// (at 96 nodes a round alone has 9,120 sessions). Pure. See docs/architecture.md, "Server
// capacity".

/** A pair suite as far as the server is concerned: its rounds' sizes and the attempt timeout. */
export interface PairSuiteLoad {
  /** Ordered pairs probed in one round (each is one session). */
  pairsPerRound: number;
  /** The probe's --timeout-ms. */
  timeoutMs: number;
}

export interface ServerCapacity {
  maxSessions: number;
  sessionTtlMs: number;
}

/** The agent's responder outlives the initiator by this much (agent/src/probe.c). */
const RESPONDER_GRACE_MS = 500;
/** Room for the stragglers of the round before (sessions one end never ended) and retries. */
const HEADROOM_SESSIONS = 256;
/** The server sweeps expired sessions once a second. */
const SWEEP_MS = 1000;

/**
 * Sessions: a round's own plus one earlier round's that were not ended (an end that never
 * registered, a lost END), which live until their TTL. TTL: one attempt, its responder's grace
 * and a sweep, so a session never outlives the round after it.
 */
export function serverCapacity(suites: readonly PairSuiteLoad[]): ServerCapacity {
  const biggest = Math.max(0, ...suites.map((s) => s.pairsPerRound));
  const longest = Math.max(1000, ...suites.map((s) => s.timeoutMs));
  return { maxSessions: 2 * biggest + HEADROOM_SESSIONS, sessionTtlMs: longest + RESPONDER_GRACE_MS + SWEEP_MS };
}

/** The `vps-agent serve` flags for this capacity. */
export function serveCapacityArgv(c: ServerCapacity): string[] {
  return ['--max-sessions', String(c.maxSessions), '--session-ttl-ms', String(c.sessionTtlMs)];
}

/** The capacity for a plan's pair suites: a round holds every pair of a suite, or its rotation's share. */
export function serverCapacityOf(suites: ReadonlyArray<{ pairs: readonly unknown[]; timeoutMs?: number; rotation?: { pairsPerRound: number } }>): ServerCapacity {
  return serverCapacity(suites.filter((s) => s.pairs.length > 0).map((s) => ({ pairsPerRound: s.rotation?.pairsPerRound ?? s.pairs.length, timeoutMs: s.timeoutMs ?? 3000 })));
}
