// A run's state file (.vps-test/runs/<run-id>/state.json): every stage transition is written
// here so `nodes`, `diagnose`, `down`, resume and soak can find what a run made, even after the
// process that made it died.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const STAGES = ['plan', 'build', 'provision', 'deploy', 'test', 'evaluate', 'report', 'teardown'] as const;
export type Stage = (typeof STAGES)[number];
export type StageStatus = 'running' | 'done' | 'failed' | 'skipped';

export interface StageRecord {
  stage: Stage;
  status: StageStatus;
  startedAt: string;
  endedAt?: string;
  ms?: number;
  error?: string;
}

export interface RunState {
  runId: string;
  createdAt: string;
  configPath: string;
  project: string;
  provider: string;
  stages: StageRecord[];
  /** true while provisioned resources may exist */
  fleetUp: boolean;
  keep: boolean;
  verdict?: string;
  exitCode?: number;
}

export function runsRoot(cwd = process.cwd()): string {
  return resolve(cwd, '.vps-test', 'runs');
}

/** Short ids: they prefix namespace names (vt<id>-...). */
export function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map((b, i) => (i === 0 ? alphabet[b % 26] : alphabet[b % 36])).join('');
}

export class RunStateFile {
  constructor(readonly dir: string, public state: RunState) {}

  static create(root: string, init: Omit<RunState, 'createdAt' | 'stages' | 'fleetUp'>): RunStateFile {
    const dir = join(root, init.runId);
    mkdirSync(dir, { recursive: true });
    const file = new RunStateFile(dir, { ...init, createdAt: new Date().toISOString(), stages: [], fleetUp: false });
    file.save();
    return file;
  }

  static load(dir: string): RunStateFile {
    return new RunStateFile(dir, JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState);
  }

  begin(stage: Stage): StageRecord {
    const record: StageRecord = { stage, status: 'running', startedAt: new Date().toISOString() };
    this.state.stages.push(record);
    this.save();
    return record;
  }

  end(record: StageRecord, status: Exclude<StageStatus, 'running'>, error?: string): void {
    record.status = status;
    record.endedAt = new Date().toISOString();
    record.ms = Date.parse(record.endedAt) - Date.parse(record.startedAt);
    if (error) record.error = error;
    this.save();
  }

  update(patch: Partial<RunState>): void {
    Object.assign(this.state, patch);
    this.save();
  }

  /** Atomic: a reader never sees a half-written file. */
  save(): void {
    const tmp = join(this.dir, `.state.json.${process.pid}`);
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, join(this.dir, 'state.json'));
  }
}

/** Every run folder with a state file, newest first. */
export function listRuns(root = runsRoot()): RunStateFile[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'state.json')))
    .map((d) => RunStateFile.load(join(root, d)))
    .sort((a, b) => b.state.createdAt.localeCompare(a.state.createdAt));
}

/** The run a command means: the id given, else the newest run whose fleet is up. */
export function findRun(runId: string | undefined, root = runsRoot()): RunStateFile | undefined {
  const runs = listRuns(root);
  if (runId) return runs.find((r) => r.state.runId === runId);
  return runs.find((r) => r.state.fleetUp);
}
