// Names of everything a lab creates, derived from the run id alone so that `destroyLab(runId)`
// can find a run's namespaces and veth after the creating process died.
//
// Namespace grammar: `vt<runId>-<rest>` where <rest> never contains "-":
//   inet            the internet bridge
//   n<k>.<node>     a public node's machine
//   r<k>.<node>     a NAT'd node's router (its machine's public side, runs its sshd)
//   h<k>.<node>     a NAT'd node's host (where its processes run)
//   g<k>.<node>     a double-NAT'd node's own (home) router, behind its carrier router r<k>
// Because <rest> has no "-", the run id is everything between "vt" and the LAST "-", so run "a"
// never matches run "a-b"'s namespaces.
import { createHash } from 'node:crypto';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
const REST = /^(inet|[nrhg]\d{1,3}(\.[A-Za-z0-9_]{1,40})?)$/;

export type MachineKind = 'public' | 'router' | 'host' | 'home-router';

export class LabNameError extends Error {
  override name = 'LabNameError';
}

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new LabNameError(
      `invalid run id "${runId}": use letters, digits, "_" and "-" (start with a letter or digit, at most 48 characters)`,
    );
  }
}

export function namespacePrefix(runId: string): string {
  assertRunId(runId);
  return `vt${runId}-`;
}

export function inetNamespace(runId: string): string {
  return `${namespacePrefix(runId)}inet`;
}

/** Node names may contain "-" (config allows it); namespace <rest> may not. */
function tag(node: string): string {
  return node.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}

export function machineNamespace(runId: string, kind: MachineKind, index: number, node: string): string {
  const letter = kind === 'public' ? 'n' : kind === 'router' ? 'r' : kind === 'home-router' ? 'g' : 'h';
  return `${namespacePrefix(runId)}${letter}${index}.${tag(node)}`;
}

/** The run id a namespace belongs to, or undefined when it is not a lab namespace. */
export function runIdOfNamespace(namespace: string): string | undefined {
  if (!namespace.startsWith('vt')) return undefined;
  const dash = namespace.lastIndexOf('-');
  if (dash < 3) return undefined;
  const runId = namespace.slice(2, dash);
  const rest = namespace.slice(dash + 1);
  return RUN_ID.test(runId) && REST.test(rest) ? runId : undefined;
}

export function isNamespaceOfRun(namespace: string, runId: string): boolean {
  return runIdOfNamespace(namespace) === runId;
}

/**
 * The controller's veth in the ROOT namespace. Interface names are limited to 15 characters,
 * so it is a hash of the run id: deterministic, so cleanup needs nothing but the run id.
 */
export function controllerVeth(runId: string): string {
  assertRunId(runId);
  return `vtc${createHash('sha256').update(runId).digest('hex').slice(0, 10)}`;
}

/** Interface names inside the lab's own namespaces (short and fixed; namespaces keep them apart). */
export const IFACE = {
  bridge: 'br0',
  /** controller's port on the bridge (inside the inet namespace) */
  controllerPort: 'ctl',
  /** a machine's uplink inside a public node or a NAT host */
  uplink: 'eth0',
  wan: 'wan',
  lan: 'lan',
  /** bridge port of node k inside the inet namespace */
  bridgePort: (index: number) => `p${index}`,
} as const;
