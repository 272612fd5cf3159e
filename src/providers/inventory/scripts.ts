// What the inventory provider runs on a host, rendered here (pure): the facts probe, and the
// teardown that removes only what the run made. See docs/architecture.md, "Inventory hosts".
import { createHash } from 'node:crypto';
import type { Arch } from '../../config/model.js';
import { EVIDENCE_TABLE, renderEvidenceRuleset } from '../../lab/recipes/evidence.js';
import { shellQuote } from '../../shell/quote.js';

/** Everything of a run on a host lives below this (nothing else is written). */
export const INVENTORY_ROOT = '/var/tmp/vps-test';

export function runRoot(runId: string): string {
  return `${INVENTORY_ROOT}/${runId}`;
}

export function workdirOf(runId: string, node: string): string {
  return `${runRoot(runId)}/${node}`;
}

/** The namespace the node's processes run in behind the natbox; unique per run and node. */
export function natHostNamespace(runId: string, node: string): string {
  return `vpstest-${runId}-${node}`;
}

/** The natbox's LAN veth on the host (15 characters at most, unique per run and node). */
export function natLanInterface(runId: string, node: string): string {
  return `vtl${createHash('sha256').update(`${runId}/${node}`).digest('hex').slice(0, 8)}`;
}

export interface HostFacts {
  arch: Arch | string;
  kernel: string;
  /** Free disk below INVENTORY_ROOT's filesystem, MiB. */
  diskFreeMiB: number;
  memAvailableMiB: number;
  nft: boolean;
  conntrack: boolean;
  systemd: boolean;
  /** Interface of the default route (the natbox's WAN). */
  wan: string;
  /** net.ipv4.ip_forward as found (the natbox turns it on; teardown puts it back). */
  ipForward: string;
  /** The SSH user is root (nft needs it: the natbox and the evidence counters). */
  root: boolean;
}

export const FACTS_SCRIPT = [
  'echo "arch=$(uname -m)"',
  'echo "kernel=$(uname -r)"',
  `d=${INVENTORY_ROOT}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; echo "disk=$(df -Pk "$d" | awk 'NR==2{print int($4/1024)}')"`,
  `echo "mem=$(awk '/^MemAvailable:/{print int($2/1024)}' /proc/meminfo)"`,
  'echo "nft=$(command -v nft >/dev/null 2>&1 && echo 1 || echo 0)"',
  'echo "conntrack=$(command -v conntrack >/dev/null 2>&1 && echo 1 || echo 0)"',
  'echo "systemd=$(test -d /run/systemd/system && echo 1 || echo 0)"',
  'echo "forward=$(sysctl -n net.ipv4.ip_forward 2>/dev/null)"',
  'echo "uid=$(id -u)"',
  `echo "wan=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p')"`,
].join('\n');

export function parseFacts(text: string): HostFacts {
  const kv = Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim().split(/=(.*)/s))
      .filter((p) => p.length >= 2 && p[0])
      .map((p) => [p[0] as string, (p[1] ?? '').trim()]),
  );
  return {
    arch: kv.arch === 'arm64' ? 'aarch64' : (kv.arch ?? ''),
    kernel: kv.kernel ?? '',
    diskFreeMiB: Number(kv.disk ?? 0),
    memAvailableMiB: Number(kv.mem ?? 0),
    nft: kv.nft === '1',
    conntrack: kv.conntrack === '1',
    systemd: kv.systemd === '1',
    wan: kv.wan ?? '',
    ipForward: kv.forward ?? '',
    root: kv.uid === '0',
  };
}

/** Creates the node's workdir; records whether the shared root existed, so teardown knows what is ours. */
export function renderSetupScript(runId: string, node: string): string {
  const root = shellQuote(INVENTORY_ROOT);
  return [
    'set -eu',
    `[ -d ${root} ] || { mkdir -p ${root}; touch ${root}/.made-by-vps-test; }`,
    `mkdir -p ${shellQuote(workdirOf(runId, node))}`,
  ].join('\n');
}

/** The run's path-evidence table on a host (per run: a host may carry other runs' or a lab's own). */
export function evidenceTableOf(runId: string): string {
  return `vt_ev_${createHash('sha256').update(runId).digest('hex').slice(0, 10)}`;
}

/**
 * The counters on the host's public side (docs/architecture.md, "Path evidence"): the lab's
 * ruleset under the run's own table name, replacing a previous one of the same run.
 */
export function renderEvidenceInstall(runId: string, wan: string, routed: boolean): string {
  const table = evidenceTableOf(runId);
  const ruleset = renderEvidenceRuleset({ publicIface: wan, routed });
  const header = `table ip ${EVIDENCE_TABLE} {`;
  if (!ruleset.startsWith(header)) throw new Error(`the evidence ruleset no longer starts with "${header}"`);
  return `table ip ${table}\ndelete table ip ${table}\ntable ip ${table} {${ruleset.slice(header.length)}`;
}

/** Removes the run's files and, when no other run uses it and we made it, the shared root. */
export function renderRemoveFilesScript(runId: string, node: string, ipForward?: string): string {
  const root = shellQuote(INVENTORY_ROOT);
  return [
    'set -u',
    `if command -v nft >/dev/null 2>&1; then nft delete table ip ${evidenceTableOf(runId)} 2>/dev/null || true; fi`,
    ...(ipForward && /^[01]$/.test(ipForward) ? [`sysctl -qw net.ipv4.ip_forward=${ipForward}`] : []),
    `rm -rf ${shellQuote(workdirOf(runId, node))}`,
    `rmdir ${shellQuote(runRoot(runId))} 2>/dev/null || true`,
    `if [ -e ${root}/.made-by-vps-test ] && [ "$(ls -A ${root})" = ".made-by-vps-test" ]; then rm -f ${root}/.made-by-vps-test; rmdir ${root}; fi`,
  ].join('\n');
}

/** The ssh-keyscan line a user runs to pin a host's key. */
export function keyscanHint(host: string, port: number): string {
  return `ssh-keyscan -t ed25519${port !== 22 ? ` -p ${port}` : ''} ${host}`;
}
