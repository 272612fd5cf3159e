// Trial independence and path evidence on machines reached over SSH (droplets, inventory hosts):
// the same nft counters and NAT-state flush the lab runs in its namespaces (docs/architecture.md,
// "Path evidence"), here one SSH command per machine per round. Counters only grow; each read
// returns what was counted since the previous one.
import type { FleetNode } from '../fleet/types.js';
import { countersSince, parseEvidenceCounters, type ParsedCounters } from '../lab/recipes/evidence.js';
import { NAT_TABLE, natStateFlush, type NatKind } from '../lab/recipes/nat.js';
import { NodeUnreachableError, isTransportFailure, shellJoin, shellQuote, type SshPool } from '../ssh/index.js';
import type { MachineCounters, TrialOps } from './types.js';

export interface RemoteMachine {
  node: FleetNode;
  /** nft table (family ip) holding the evidence sets on the machine's public side; absent: not measured. */
  evidenceTable?: string;
  /** Address of the node behind the machine's NAT: a flush forgets exactly its connections. */
  natHostIp?: string;
}

/**
 * The flush for one NAT machine: the recipe's cone map / contacted set, then the connections
 * whose original source or reply source is the node behind it. Only those: the machine's other
 * connections (our SSH session, an inventory host's own services) keep their state.
 */
export function renderNatFlushScript(nat: NatKind, hostIp: string, table = NAT_TABLE): string {
  const state = natStateFlush(nat, table);
  const ip = shellQuote(hostIp);
  return [
    'set -u',
    'command -v conntrack >/dev/null 2>&1 || { echo "conntrack is not installed (apt-get install conntrack)" >&2; exit 1; }',
    ...(state ? [`nft -f - <<'VT_FLUSH_EOF'`, `${state}VT_FLUSH_EOF`] : []),
    // conntrack -D exits 1 when it deleted nothing: that is no error here
    'for dir in -s -r; do',
    `  out=$(conntrack -D "$dir" ${ip} 2>&1 >/dev/null) || case "$out" in *" 0 flow entries"*) ;; *) echo "conntrack -D $dir ${hostIp}: $out" >&2; exit 1 ;; esac`,
    'done',
    '',
  ].join('\n');
}

export function remoteTrialOps(pool: SshPool, machines: readonly RemoteMachine[]): TrialOps {
  const last = new Map<string, ParsedCounters>();
  /** a machine whose read failed: its next read only sets the baseline (two rounds cannot be told apart) */
  const stale = new Set<string>();
  const reachable = (m: RemoteMachine) => !pool.unreachable(m.node);
  const gone = (err: unknown) => err instanceof NodeUnreachableError || isTransportFailure(err);

  return {
    async flushNat() {
      await Promise.all(
        machines
          .filter((m) => m.natHostIp && m.node.nat !== 'none' && reachable(m))
          .map(async (m) => {
            try {
              const r = await pool.exec(m.node, 'sh -s', { stdin: renderNatFlushScript(m.node.nat as NatKind, m.natHostIp as string), timeoutMs: 15_000 });
              if (r.code !== 0) throw new Error(`flushing the NAT state of node "${m.node.name}" failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
            } catch (err) {
              if (!gone(err)) throw err; // an unreachable node is judged by the unreachable rule, not here
            }
          }),
      );
    },

    async readEvidence() {
      const out = new Map<string, MachineCounters>();
      await Promise.all(
        machines
          .filter((m) => m.evidenceTable && reachable(m))
          .map(async (m) => {
            const name = m.node.name;
            let now: ParsedCounters;
            try {
              const r = await pool.exec(m.node, shellJoin(['nft', '-j', 'list', 'table', 'ip', m.evidenceTable as string]), { timeoutMs: 10_000 });
              if (r.code !== 0) throw new Error(`reading the path evidence on ${name} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`);
              now = parseEvidenceCounters(r.stdout);
            } catch (err) {
              if (!gone(err)) throw err;
              stale.add(name);
              return;
            }
            const before = last.get(name);
            last.set(name, now);
            if (stale.delete(name)) return;
            out.set(name, countersSince(now, before));
          }),
      );
      return out;
    },
  };
}
