// Pair rotation for big fleets: instead of every ordered pair in every round (N(N-1) sessions,
// N^2 PINGs at once), each round probes a subset of pairs, and the rounds together still cover
// every planned pair exactly `trials` times. Built from the round-robin "circle" schedule: N-1
// perfect matchings that together hold every unordered pair once; a round takes k consecutive
// matchings (each node then has k peers). The agent probes both directions of a pair (both
// ends are given each other in --peers), so the unit is the unordered pair. Pure. See
// docs/architecture.md, "Pair rotation".

export interface OrderedPair {
  from: string;
  to: string;
}

export interface RotationRound {
  /** trial number of this round's pairs (1-based); a pair appears once per trial */
  trial: number;
  /** --peers for each node that takes part in this round */
  peers: Map<string, string[]>;
  /** the planned ordered pairs this round measures */
  pairs: OrderedPair[];
}

/** The N-1 matchings of the circle method (a bye when N is odd), as [a, b] index pairs. */
export function circleMatchings(n: number): Array<Array<[number, number]>> {
  const size = n % 2 ? n + 1 : n; // index n is the bye
  const rounds: Array<Array<[number, number]>> = [];
  const ring = Array.from({ length: size }, (_, i) => i);
  for (let r = 0; r < size - 1; r++) {
    const matching: Array<[number, number]> = [];
    for (let i = 0; i < size / 2; i++) {
      const a = ring[i] as number;
      const b = ring[size - 1 - i] as number;
      if (a < n && b < n) matching.push(a < b ? [a, b] : [b, a]);
    }
    rounds.push(matching);
    ring.splice(1, 0, ring.pop() as number); // keep ring[0], rotate the rest
  }
  return rounds;
}

/**
 * Rounds covering every planned pair `trials` times with at most `maxPairsPerRound` ordered
 * pairs measured per round (both directions of an unordered pair count). With a bound of at
 * least all pairs, this is one round per trial with every pair, as without rotation.
 */
export function rotateRounds(pairs: readonly OrderedPair[], trials: number, maxPairsPerRound: number): RotationRound[] {
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials must be a positive integer, got ${trials}`);
  if (!Number.isInteger(maxPairsPerRound) || maxPairsPerRound < 2) throw new Error(`maxPairsPerRound must be an integer >= 2, got ${maxPairsPerRound}`);
  const nodes = [...new Set(pairs.flatMap((p) => [p.from, p.to]))].sort();
  const planned = new Set(pairs.map((p) => `${p.from}>${p.to}`));
  const matchings = circleMatchings(nodes.length)
    .map((m) => m.map(([a, b]) => [nodes[a] as string, nodes[b] as string] as const).filter(([x, y]) => planned.has(`${x}>${y}`) || planned.has(`${y}>${x}`)))
    .filter((m) => m.length > 0);
  // Group consecutive matchings while the round stays within the bound (each unordered pair = 2),
  // closing a round once it holds its even share, so the rounds come out about the same size.
  const total = 2 * matchings.reduce((s, m) => s + m.length, 0);
  const share = total / Math.max(1, Math.ceil(total / maxPairsPerRound));
  const groups: Array<Array<readonly [string, string]>> = [];
  let current: Array<readonly [string, string]> = [];
  for (const m of matchings) {
    if (current.length && (2 * (current.length + m.length) > maxPairsPerRound || 2 * current.length >= share)) {
      groups.push(current);
      current = [];
    }
    current.push(...m);
  }
  if (current.length) groups.push(current);
  const rounds: RotationRound[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    for (const group of groups) {
      const peers = new Map<string, string[]>();
      const measured: OrderedPair[] = [];
      for (const [x, y] of group) {
        (peers.get(x) ?? peers.set(x, []).get(x))?.push(y);
        (peers.get(y) ?? peers.set(y, []).get(y))?.push(x);
        if (planned.has(`${x}>${y}`)) measured.push({ from: x, to: y });
        if (planned.has(`${y}>${x}`)) measured.push({ from: y, to: x });
      }
      rounds.push({ trial, peers, pairs: measured });
    }
  }
  return rounds;
}

/**
 * Ordered pairs one round of the agent may probe at once. Measured on the 2-core lab host at
 * load ~20 (bench/RESULTS.md, "scale"): 100 nodes in rounds of 1,000 pairs passed 9,900 of
 * 9,900; in rounds of 2,000 the relay attempts lost to the load (18% of them passed), and all
 * 9,900 at once failed outright. Above it, the agent driver rotates.
 */
export const MAX_PAIRS_PER_ROUND = 1000;

/** How a pair suite's trials are split into rounds; absent: every pair in every round. */
export interface PlannedRotation {
  /** ordered pairs probed at most in one round (both directions of an unordered pair count) */
  pairsPerRound: number;
  /** rounds per trial */
  roundsPerTrial: number;
}

/** The rotation a suite of these pairs gets, or none when one round holds them all. */
export function plannedRotation(pairs: readonly OrderedPair[], maxPairsPerRound = MAX_PAIRS_PER_ROUND): PlannedRotation | undefined {
  if (pairs.length <= maxPairsPerRound) return undefined;
  const rounds = rotateRounds(pairs, 1, maxPairsPerRound);
  // each node's --peers: every unordered pair is in two lists, one session per direction
  const sessions = (r: RotationRound) => [...r.peers.values()].reduce((sum, peers) => sum + peers.length, 0);
  return { pairsPerRound: Math.max(...rounds.map(sessions)), roundsPerTrial: rounds.length };
}
