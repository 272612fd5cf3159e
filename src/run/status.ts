// What `vps-test status` says about a run: its stage, age, provider, nodes, whether its
// controller still lives, and what that makes of it. Pure except for the liveness probe.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controllerLiveness, type Liveness } from './controller.js';
import { RUN_FILES } from './files.js';
import type { RunStateFile } from './state.js';
import type { CloudMachine, RunResources } from '../providers/types.js';

export type Condition = 'running' | 'orphaned' | 'fleet up' | 'finished' | 'incomplete';

export interface RunStatus {
  runId: string;
  runDir: string;
  project: string;
  provider: string;
  createdAt: string;
  ageSeconds: number;
  stage?: string;
  stageStatus?: string;
  controller: { pid?: number; liveness: Liveness };
  condition: Condition;
  fleetUp: boolean;
  nodes: string[];
  expiresAt?: string;
  verdict?: string;
  unreachable: string[];
  /** a soak in progress: the checkpoint waited for (or running) and when it is due */
  nextCheckpoint?: { checkpoint: string; dueAt: string };
}

function nodesOf(runDir: string): string[] {
  for (const file of [RUN_FILES.fleet, RUN_FILES.plan]) {
    try {
      const path = join(runDir, file);
      if (existsSync(path)) return ((JSON.parse(readFileSync(path, 'utf8')) as { nodes?: { name: string }[] }).nodes ?? []).map((n) => n.name);
    } catch {
      /* next */
    }
  }
  return [];
}

export function runStatus(run: RunStateFile, now = Date.now(), liveness: (r: RunStateFile) => Liveness = (r) => controllerLiveness(r.state.controller)): RunStatus {
  const s = run.state;
  const current = run.current();
  const live = liveness(run);
  const running = current?.status === 'running';
  const done = run.lastDone();
  const condition: Condition = running ? (live === 'dead' ? 'orphaned' : 'running') : s.fleetUp ? (live === 'alive' ? 'running' : 'fleet up') : done === 'teardown' || s.verdict ? 'finished' : 'incomplete';
  return {
    runId: s.runId,
    runDir: run.dir,
    project: s.project,
    provider: s.provider,
    createdAt: s.createdAt,
    ageSeconds: Math.max(0, Math.round((now - Date.parse(s.createdAt)) / 1000)),
    ...(current && { stage: current.stage, stageStatus: current.status }),
    controller: { ...(s.controller && { pid: s.controller.pid }), liveness: live },
    condition,
    fleetUp: s.fleetUp,
    nodes: nodesOf(run.dir),
    ...(s.expiresAt && { expiresAt: s.expiresAt }),
    ...(s.verdict && { verdict: s.verdict }),
    unreachable: [...new Set((s.unreachable ?? []).map((u) => u.node))],
    ...(s.soak?.next && s.fleetUp && { nextCheckpoint: s.soak.next }),
  };
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

export function renderStatusTable(rows: RunStatus[]): string {
  const header = ['RUN', 'CONDITION', 'STAGE', 'AGE', 'PROVIDER', 'NODES', 'CONTROLLER', 'FLEET', 'VERDICT', 'EXPIRES'];
  const lines = rows.map((r) => [
    r.runId,
    r.condition,
    r.nextCheckpoint ? `soak (checkpoint ${r.nextCheckpoint.checkpoint} at ${r.nextCheckpoint.dueAt})` : r.stage ? `${r.stage} (${r.stageStatus})` : '-',
    formatAge(r.ageSeconds),
    r.provider,
    String(r.nodes.length),
    r.controller.pid ? `${r.controller.pid} ${r.controller.liveness}` : '-',
    r.fleetUp ? 'up' : 'down',
    r.verdict ?? '-',
    r.expiresAt ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  return [header, ...lines].map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd()).join('\n');
}

/** A cloud run as its provider sees it (docs/architecture.md, "Controller, status, stop"). */
export interface CloudRunView {
  provider: string;
  runId: string;
  /** a run of this user's registry (else: a leak from elsewhere, or another user's) */
  known: boolean;
  machines: (CloudMachine & { ageSeconds: number; costUsd?: number })[];
  /** what is not a machine (the run's SSH keys) */
  other: string[];
  expiresAt?: string;
  hourlyUsd: number;
  costUsd: number;
}

/** The providers' billed machines by run, with age and cost so far (price per hour x age). Pure. */
export function cloudView(resources: readonly RunResources[], known: ReadonlySet<string>, now = Date.now()): CloudRunView[] {
  return resources
    .filter((r) => r.machines !== undefined)
    .map((r) => {
      const machines = (r.machines ?? []).map((m) => {
        const ageSeconds = Math.max(0, Math.round((now - Date.parse(m.createdAt)) / 1000));
        return { ...m, ageSeconds, ...(m.hourlyUsd !== undefined && { costUsd: (m.hourlyUsd * ageSeconds) / 3600 }) };
      });
      return {
        provider: r.provider,
        runId: r.runId,
        known: known.has(r.runId),
        machines,
        other: r.resources.filter((x) => !x.startsWith('droplet:')),
        ...(r.expiresAt !== undefined && { expiresAt: new Date(r.expiresAt).toISOString() }),
        hourlyUsd: machines.reduce((s, m) => s + (m.hourlyUsd ?? 0), 0),
        costUsd: machines.reduce((s, m) => s + (m.costUsd ?? 0), 0),
      };
    })
    .sort((a, b) => Number(a.known) - Number(b.known) || a.runId.localeCompare(b.runId));
}

function untilText(iso: string | undefined, now: number): string {
  if (!iso) return 'no expiry tag';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  return `${iso} (${s >= 0 ? `in ${formatAge(s)}` : `expired ${formatAge(-s)} ago`})`;
}

/** The provider's view as a table, runs of no registry entry marked; every total in dollars. */
export function renderCloudView(view: readonly CloudRunView[], now = Date.now()): string {
  const lines: string[] = [];
  for (const provider of [...new Set(view.map((v) => v.provider))]) {
    const runs = view.filter((v) => v.provider === provider);
    const machines = runs.flatMap((r) => r.machines);
    const hourly = runs.reduce((s, r) => s + r.hourlyUsd, 0);
    const cost = runs.reduce((s, r) => s + r.costUsd, 0);
    lines.push(`${provider}: ${machines.length} machine${machines.length === 1 ? '' : 's'} of ${runs.length} run${runs.length === 1 ? '' : 's'}, $${hourly.toFixed(4)}/h, $${cost.toFixed(4)} so far`);
    const header = ['RUN', 'MACHINE', 'ID', 'STATUS', 'REGION', 'SIZE', 'AGE', 'COST SO FAR', 'EXPIRES'];
    const rows = runs.flatMap((r) =>
      r.machines.map((m) => [r.known ? r.runId : `${r.runId}*`, m.name, m.id, m.status, m.region ?? '-', m.size ?? '-', formatAge(m.ageSeconds), m.costUsd !== undefined ? `$${m.costUsd.toFixed(4)}` : '?', untilText(m.expiresAt !== undefined ? new Date(m.expiresAt).toISOString() : undefined, now)]),
    );
    if (rows.length) {
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((l) => (l[i] as string).length)));
      for (const l of [header, ...rows]) lines.push(`  ${l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')}`);
    }
    for (const r of runs.filter((x) => x.other.length)) lines.push(`  ${r.known ? r.runId : `${r.runId}*`}: ${r.other.map((o) => o.replace(/^ssh_key:\d+:/, 'ssh key ')).join(', ')}${r.machines.length ? '' : ` (no machines; ${untilText(r.expiresAt, now)})`}`);
    const leaks = runs.filter((r) => !r.known).map((r) => r.runId);
    if (leaks.length) lines.push(`  * not a run of this user's registry (another machine, a lost CI job, or a leak): vps-test down ${leaks[0]} removes it by its tag; vps-test janitor removes what has expired`);
  }
  return lines.join('\n');
}
