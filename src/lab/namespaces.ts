// Reading and tearing down the lab's namespaces, by run id only.
import { readdir, readlink, stat } from 'node:fs/promises';
import type { Exec } from './exec.js';
import { runIdOfNamespace } from './names.js';

/** Names from `ip netns list` ("name (id: 3)" lines). */
export function parseNetnsList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

export async function listNamespaces(exec: Exec): Promise<string[]> {
  return parseNetnsList((await exec(['ip', 'netns', 'list'])).stdout);
}

/** Lab namespaces grouped by run id. */
export async function labNamespacesByRun(exec: Exec): Promise<Map<string, string[]>> {
  const byRun = new Map<string, string[]>();
  for (const ns of await listNamespaces(exec)) {
    const runId = runIdOfNamespace(ns);
    if (runId === undefined) continue;
    byRun.set(runId, [...(byRun.get(runId) ?? []), ns]);
  }
  return byRun;
}

export async function namespacePids(exec: Exec, ns: string): Promise<number[]> {
  const result = await exec(['ip', 'netns', 'pids', ns], { allowFailure: true });
  if (result.code !== 0) return [];
  return result.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

const NETNS_DIR = '/run/netns';

/**
 * Pids of every process inside any of `namespaces`, from one pass over /proc (what `ip netns
 * pids` does per namespace, without a process per namespace: a 100-node lab has 200).
 */
export async function pidsInNamespaces(namespaces: string[]): Promise<number[]> {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    const info = await stat(`${NETNS_DIR}/${ns}`).catch(() => undefined);
    if (info) inodes.add(`net:[${info.ino}]`);
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const link = await readlink(`/proc/${entry}/ns/net`).catch(() => undefined);
    if (link && inodes.has(link)) pids.push(Number(entry));
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}

/** SIGTERM everything in the namespaces, then SIGKILL what is still there after a grace period. */
export async function killNamespaceProcesses(namespaces: string[], graceMs = 1000): Promise<number> {
  const pidsOf = async () => (await pidsInNamespaces(namespaces)).filter((p) => p !== process.pid);
  const first = await pidsOf();
  for (const pid of first) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let remaining = first;
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    remaining = await pidsOf();
  }
  for (const pid of remaining) signal(pid, 'SIGKILL');
  if (remaining.length > 0) {
    const killDeadline = Date.now() + 2000;
    while ((await pidsOf()).length > 0 && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 25));
  }
  return first.length;
}
