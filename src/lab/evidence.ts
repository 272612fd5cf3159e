// Reads the path-evidence counters of every machine between rounds (docs/architecture.md,
// "Path evidence") through an injected exec, so the same code serves a lab namespace
// (`ip netns exec`) and a machine over SSH. Counters only grow; each read returns what was
// counted since the previous one.
import { countersSince, parseEvidenceCounters, readCountersArgv, type ParsedCounters } from './recipes/evidence.js';

/** Runs one command on a node's machine (its public side), returns stdout. */
export type MachineExec = (node: string, argv: string[]) => Promise<string>;

export class EvidenceCounters {
  private last = new Map<string, ParsedCounters>();

  constructor(
    private readonly nodes: readonly string[],
    private readonly exec: MachineExec,
  ) {}

  /** Packets per node and remote address since the last read (the first read: since install). */
  async read(): Promise<Map<string, ParsedCounters>> {
    const argv = readCountersArgv();
    const now = await Promise.all(this.nodes.map(async (node) => [node, parseEvidenceCounters(await this.exec(node, argv))] as const));
    const out = new Map(now.map(([node, c]) => [node, countersSince(c, this.last.get(node))] as const));
    this.last = new Map(now);
    return out;
  }
}
