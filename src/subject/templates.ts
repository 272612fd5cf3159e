// Expands a subject template for one node ({bin}, {node}, {peer.ip}, {round}, ...); the
// placeholders were checked at load time (config/subject-checks.ts).
import { expandPlaceholders, type NodeFacts } from '../config/placeholders.js';
import type { FleetNode } from '../fleet/types.js';
import type { DriverContext } from './types.js';

export function factsOf(n: FleetNode): NodeFacts {
  return { name: n.name, ip: n.publicIp, private_ip: n.privateIp };
}

export function peerValues(peer: FleetNode): Record<string, string> {
  return { 'peer.name': peer.name, 'peer.ip': peer.publicIp, 'peer.private_ip': peer.privateIp };
}

export function expandFor(ctx: DriverContext, node: FleetNode, template: string, extra: Record<string, string> = {}): string {
  return expandPlaceholders(template, { self: factsOf(node), nodes: ctx.fleet.nodes.map(factsOf), bin: ctx.binPath(node), workdir: node.workdir, runId: ctx.fleet.runId, extra });
}

/** A "received" pattern with {msg}/{origin} filled in literally (escaped), as a RegExp. */
export function patternWith(template: string, values: Record<string, string>): RegExp {
  const escaped = template.replace(/\{(msg|origin)\}/g, (_, k: string) => (values[k] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped);
}
