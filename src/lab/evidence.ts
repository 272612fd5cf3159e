// Reads and resets the path-evidence counters of every machine between rounds
// (docs/architecture.md, "Path evidence"), through an injected exec so the same code serves a
// lab namespace (`ip netns exec`) and, later, a machine over SSH.
import { parseEvidenceCounters, readAndResetCommand, type ParsedCounters } from './recipes/evidence.js';

/** Runs one shell line on a node's machine (its public side), returns stdout. */
export type MachineShell = (node: string, command: string) => Promise<string>;

export async function readAndResetEvidence(nodes: readonly string[], shell: MachineShell): Promise<Map<string, ParsedCounters>> {
  const command = readAndResetCommand();
  const read = await Promise.all(nodes.map(async (node) => [node, parseEvidenceCounters(await shell(node, command))] as const));
  return new Map(read);
}
