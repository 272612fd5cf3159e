// Scenario step results -> the results.json `scenarios` section and the verdict's reasons. Pure.
// The steps are written by the controller (never by a node) to scenarios.jsonl in the run
// folder, one line per finished step, so an interrupted run still reports what it learned.
import { readJsonLines } from '../files/jsonl.js';
import { join } from 'node:path';
import { z } from 'zod';
import { mergeFindings, type VerdictAndReasons } from './merge.js';

export const SCENARIO_RESULTS_FILE = 'scenarios.jsonl';

export function scenarioResultsPath(runDir: string): string {
  return join(runDir, SCENARIO_RESULTS_FILE);
}

/** One step of one scenario, as run (or not run: `skipped`). */
export interface ScenarioStepResult {
  scenario: string;
  /** 1-based position in the scenario's steps */
  index: number;
  kind: string;
  /** e.g. "run on client: {bin} call" */
  title: string;
  ok: boolean;
  skipped?: boolean;
  duration_ms: number;
  nodes: string[];
  /** the expanded command (or URL) of the first failing node, else of the first node */
  command?: string;
  exit?: number | null;
  /** tail of the output (stdout, then stderr) */
  output?: string;
  reason?: string;
  /** the node a command was meant to reach, and the protocol it exercised */
  peer?: string;
  protocol?: 'udp' | 'tcp';
  /** packets the peer's machine saw from the caller during the step */
  peer_packets?: number;
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  steps: ScenarioStepResult[];
  /** findings across steps, e.g. "UDP fails while TCP works between a and b" */
  diagnosis: string[];
}

export const scenarioStepSchema = z.object({
  scenario: z.string(),
  index: z.number().int(),
  kind: z.string(),
  title: z.string(),
  ok: z.boolean(),
  skipped: z.boolean().optional(),
  duration_ms: z.number(),
  nodes: z.array(z.string()),
  command: z.string().optional(),
  exit: z.number().nullable().optional(),
  output: z.string().optional(),
  reason: z.string().optional(),
  peer: z.string().optional(),
  protocol: z.enum(['udp', 'tcp']).optional(),
  peer_packets: z.number().optional(),
});

export const scenarioResultSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  steps: z.array(scenarioStepSchema),
  diagnosis: z.array(z.string()),
});

/** Reads scenarios.jsonl; a missing file is no steps, a bad line is an error naming it. */
export function readScenarioSteps(path: string): Promise<ScenarioStepResult[]> {
  return readJsonLines(path, (value, where) => {
    const parsed = scenarioStepSchema.safeParse(value);
    if (!parsed.success) throw new Error(`${where}: not a scenario step result (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return parsed.data as ScenarioStepResult;
  });
}

const PROTOCOL_NAMES = { udp: 'UDP', tcp: 'TCP' } as const;

/** Per (caller, peer): a protocol whose steps all failed while another's all passed. */
export function diagnoseProtocols(steps: readonly ScenarioStepResult[]): string[] {
  const byPair = new Map<string, ScenarioStepResult[]>();
  for (const s of steps) {
    if (s.skipped || !s.peer || !s.protocol) continue;
    const key = `from ${s.nodes.join(', ')} to ${s.peer}`;
    byPair.set(key, [...(byPair.get(key) ?? []), s]);
  }
  const findings: string[] = [];
  for (const [pair, list] of byPair) {
    const state = (p: 'udp' | 'tcp') => {
      const of = list.filter((s) => s.protocol === p);
      return of.length === 0 ? 'none' : of.every((s) => s.ok) ? 'works' : of.every((s) => !s.ok) ? 'fails' : 'mixed';
    };
    const [udp, tcp] = [state('udp'), state('tcp')];
    const steps = (p: 'udp' | 'tcp') => list.filter((s) => s.protocol === p).map((s) => s.index).join(', ');
    if (udp === 'fails' && tcp === 'works') findings.push(`UDP fails while TCP works ${pair} (UDP steps ${steps('udp')}; TCP steps ${steps('tcp')})`);
    else if (tcp === 'fails' && udp === 'works') findings.push(`TCP fails while UDP works ${pair} (TCP steps ${steps('tcp')}; UDP steps ${steps('udp')})`);
    else if (udp === 'fails' && tcp === 'fails') findings.push(`both UDP and TCP fail ${pair}`);
    else for (const p of ['udp', 'tcp'] as const) if (state(p) === 'mixed') findings.push(`${PROTOCOL_NAMES[p]} is intermittent ${pair} (steps ${steps(p)})`);
  }
  return findings;
}

/**
 * Groups step results by planned scenario. A planned scenario without any step result (the
 * test stage never reached it) is failed, never absent.
 */
export function summarizeScenarios(planned: readonly string[], steps: readonly ScenarioStepResult[]): ScenarioResult[] {
  const names = [...planned, ...new Set(steps.map((s) => s.scenario).filter((n) => !planned.includes(n)))];
  return names.map((name) => {
    const own = steps.filter((s) => s.scenario === name).sort((a, b) => a.index - b.index);
    const diagnosis = diagnoseProtocols(own);
    if (own.length === 0) diagnosis.push('no step was run');
    return { name, passed: own.length > 0 && own.every((s) => s.ok), steps: own, diagnosis };
  });
}

/** The last line of a step's output excerpt that is not a stdout:/stderr: header, cut to 120 characters. */
function lastLine(output: string | undefined): string | undefined {
  const line = output?.split('\n').map((l) => l.trim()).filter((l) => l && l !== 'stdout:' && l !== 'stderr:').pop();
  return line && line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function stepWhere(s: ScenarioStepResult): string {
  return `step ${s.index} (${s.title})`;
}

/** Reasons in words: which step failed, where, why; the protocol findings. */
export function scenarioReasons(results: readonly ScenarioResult[]): { fails: string[]; passes: string[] } {
  const fails: string[] = [];
  const passes: string[] = [];
  for (const r of results) {
    if (r.passed) {
      passes.push(`scenario ${r.name}: ${r.steps.length} step${r.steps.length === 1 ? '' : 's'} passed`);
      continue;
    }
    const failed = r.steps.filter((s) => !s.ok && !s.skipped);
    const skipped = r.steps.filter((s) => s.skipped).length;
    if (failed.length === 0) {
      const why = r.diagnosis.join('; ') || r.steps.find((s) => s.skipped)?.reason || 'no step passed';
      fails.push(`scenario ${r.name} failed: ${why}`);
      continue;
    }
    for (const d of r.diagnosis) fails.push(`scenario ${r.name}: ${d}`);
    for (const s of failed.slice(0, 5)) {
      const exit = s.exit !== undefined && s.exit !== null ? `, exit ${s.exit}` : '';
      const last = lastLine(s.output);
      fails.push(`scenario ${r.name} failed at ${stepWhere(s)} on ${s.nodes.join(', ')}${exit}: ${s.reason ?? 'failed'}${last ? ` (output: ${last})` : ''}`);
    }
    if (failed.length > 5) fails.push(`scenario ${r.name}: ${failed.length - 5} more failed steps`);
    if (skipped) fails.push(`scenario ${r.name}: ${skipped} later step${skipped === 1 ? '' : 's'} not run`);
  }
  return { fails, passes };
}

/**
 * Folds the scenarios into the verdict judged on the other suites: a failed scenario fails the
 * run (an error stays an error), a passed one is listed among what was met.
 */
export function mergeScenarioVerdict(base: VerdictAndReasons, results: readonly ScenarioResult[]): VerdictAndReasons {
  if (results.length === 0) return base;
  const { fails, passes } = scenarioReasons(results);
  return mergeFindings(base, { fails, degrades: [], passes });
}
