// Step targets: a node name, `role:<role>` or `all`, resolved against the fleet.
import type { Fleet, FleetNode } from '../../fleet/types.js';
import { shellQuote } from '../../ssh/index.js';
import { expandPlaceholders, type NodeFacts } from '../../config/placeholders.js';

export function resolveTarget(fleet: Fleet, target: string): FleetNode[] {
  if (target === 'all') return [...fleet.nodes];
  if (target.startsWith('role:')) {
    const role = target.slice(5);
    const nodes = fleet.nodes.filter((n) => n.role === role);
    if (!nodes.length) throw new Error(`no node has role ${role} (target ${target})`);
    return nodes;
  }
  const node = fleet.nodes.find((n) => n.name === target);
  if (!node) throw new Error(`no node named ${target} in the fleet (${fleet.nodes.map((n) => n.name).join(', ')})`);
  return [node];
}

export function resolveOne(fleet: Fleet, target: string, what: string): FleetNode {
  const nodes = resolveTarget(fleet, target);
  if (nodes.length !== 1) throw new Error(`${what} needs exactly one node, but ${target} is ${nodes.length} nodes (${nodes.map((n) => n.name).join(', ')})`);
  return nodes[0] as FleetNode;
}

/** The node's own addresses (public, and private when it differs). */
export function addressesOf(node: FleetNode): string[] {
  return [...new Set([node.publicIp, node.privateIp])];
}

export interface Expander {
  (node: FleetNode, text: string): string;
}

export function expanderFor(fleet: Fleet, binPath: (node: FleetNode) => string, vars: Record<string, string>): Expander {
  const facts: NodeFacts[] = fleet.nodes.map((n) => ({ name: n.name, ip: n.publicIp, private_ip: n.privateIp }));
  return (node, text) =>
    expandPlaceholders(text, { self: facts.find((f) => f.name === node.name) as NodeFacts, nodes: facts, bin: binPath(node), workdir: node.workdir, runId: fleet.runId, vars });
}

/** A step's command runs in the node's workdir, like its service. */
export function inWorkdir(node: FleetNode, command: string): string {
  return `cd ${shellQuote(node.workdir)} && ${command}`;
}

export function shortTitle(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
