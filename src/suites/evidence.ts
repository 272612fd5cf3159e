// Per-round path evidence for the suites (docs/architecture.md, "Path evidence"): every
// machine's counters on its public side (where the lab put them), read between rounds. Fleets
// without counters yet (cloud, inventory) are 'unmeasured', said once in the log.
import type { Fleet } from '../fleet/types.js';
import type { SshPool } from '../ssh/index.js';
import type { RoundCounters } from '../results/evidence.js';
import { EvidenceCounters, type MachineExec } from '../lab/evidence.js';
import { systemExec } from '../lab/exec.js';
import type { RoundSessions } from '../lab/round-sessions.js';
import { shellJoin } from '../ssh/index.js';

export interface EvidenceReader {
  (): Promise<RoundCounters | undefined>;
  /** reads so far and the time they took (the cost of the evidence, reported by the test stage) */
  readonly stats: { reads: number; ms: number };
}

/** `sessions`: the lab's long-lived nft sessions (src/lab/round-sessions.ts), read through instead of a process per read. */
export function evidenceReader(fleet: Fleet, pool: SshPool, log: (line: string) => void, sessions?: RoundSessions): EvidenceReader {
  const stats = { reads: 0, ms: 0 };
  if (fleet.provider !== 'local') {
    log(`path evidence: not measured on ${fleet.provider} fleets yet; claims are taken as printed`);
    return Object.assign(async () => undefined, { stats });
  }
  const byName = new Map(fleet.nodes.map((n) => [n.name, n]));
  // On the lab the machines' public sides are namespaces on this host: `ip netns exec` is a
  // fraction of an SSH round trip, and the rounds wait for these reads. Elsewhere: SSH as root.
  const viaSsh: MachineExec = async (name, argv) => {
    const r = await pool.exec(byName.get(name)!, shellJoin(argv), { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`reading the path evidence on ${name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
    return r.stdout;
  };
  const inLab: MachineExec = async (name, argv) => {
    if (sessions?.has(name)) return sessions.readCounters(name);
    const node = byName.get(name)!;
    // the machine's own namespace: the NAT router, or the public node itself (lab/fleet.ts)
    const ns = node.routerNamespace ?? node.resources[0];
    if (!ns) return viaSsh(name, argv);
    const r = await systemExec(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs: 10_000, allowFailure: true });
    if (r.code !== 0) throw new Error(`reading the path evidence on ${name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
    return r.stdout;
  };
  const counters = new EvidenceCounters([...byName.keys()], inLab);
  const read = async (): Promise<RoundCounters> => {
    const started = performance.now();
    try {
      return await counters.read();
    } finally {
      stats.reads++;
      stats.ms += performance.now() - started;
    }
  };
  return Object.assign(read, { stats });
}
