// Per-round path evidence for the suites (docs/architecture.md, "Path evidence"): read and
// reset every machine's counters over SSH on its public side (where the lab put them). Fleets
// without counters yet (cloud, inventory) are 'unmeasured', said once in the log.
import type { Fleet } from '../providers/types.js';
import type { SshPool } from '../ssh/index.js';
import type { RoundCounters } from '../results/evidence.js';
import { readAndResetEvidence } from '../lab/evidence.js';

export interface EvidenceReader {
  (): Promise<RoundCounters | undefined>;
  /** reads so far and the time they took (the cost of the evidence, reported by the test stage) */
  readonly stats: { reads: number; ms: number };
}

export function evidenceReader(fleet: Fleet, pool: SshPool, log: (line: string) => void): EvidenceReader {
  const stats = { reads: 0, ms: 0 };
  if (fleet.provider !== 'local') {
    log(`path evidence: not measured on ${fleet.provider} fleets yet; claims are taken as printed`);
    return Object.assign(async () => undefined, { stats });
  }
  const byName = new Map(fleet.nodes.map((n) => [n.name, n]));
  const read = async (): Promise<RoundCounters> => {
    const started = performance.now();
    try {
      return await readAndResetEvidence([...byName.keys()], async (name, command) => {
        const r = await pool.exec(byName.get(name)!, command, { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`reading the path evidence on ${name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
        return r.stdout;
      });
    } finally {
      stats.reads++;
      stats.ms += performance.now() - started;
    }
  };
  return Object.assign(read, { stats });
}
