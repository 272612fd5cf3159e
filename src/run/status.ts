// What `vps-test status` says about a run: its stage, age, provider, nodes, whether its
// controller still lives, and what that makes of it. Pure except for the liveness probe.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controllerLiveness, type Liveness } from './controller.js';
import { RUN_FILES } from './files.js';
import type { RunStateFile } from './state.js';

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
    r.stage ? `${r.stage} (${r.stageStatus})` : '-',
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
