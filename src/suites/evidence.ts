// Per-round path evidence for the suites (docs/architecture.md, "Path evidence"): read and
// reset every machine's counters over SSH on its public side (where the lab put them). Fleets
// without counters yet (cloud, inventory) are 'unmeasured', said once in the log.
import type { Fleet } from '../providers/types.js';
import type { SshPool } from '../ssh/index.js';
import type { RoundCounters } from '../results/evidence.js';
import { readAndResetEvidence } from '../lab/evidence.js';

export type EvidenceReader = () => Promise<RoundCounters | undefined>;

export function evidenceReader(fleet: Fleet, pool: SshPool, log: (line: string) => void): EvidenceReader {
  if (fleet.provider !== 'local') {
    log(`path evidence: not measured on ${fleet.provider} fleets yet; claims are taken as printed`);
    return async () => undefined;
  }
  const byName = new Map(fleet.nodes.map((n) => [n.name, n]));
  return () =>
    readAndResetEvidence([...byName.keys()], async (name, command) => {
      const r = await pool.exec(byName.get(name)!, command, { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`reading the path evidence on ${name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
      return r.stdout;
    });
}
