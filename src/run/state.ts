// A run's state file (.vps-test/runs/<run-id>/state.json): every stage transition is written
// here so `nodes`, `diagnose`, `down`, `status`, resume and soak can find what a run made, even
// after the process that made it died (docs/architecture.md, "The run folder"). It never holds a
// secret: keys are referenced by path only.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ControllerId } from './controller.js';
import { RunRegistry } from './registry.js';

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
  /** the process driving the run now (or last); see controller.ts */
  controller?: ControllerId;
  /** project root: relative build paths resolve here */
  projectDir?: string;
  /** when the provider's resources expire on their own (cloud TTL), ISO */
  expiresAt?: string;
  /** set by `vps-test stop` before it signals the controller */
  stopRequestedAt?: string;
  /** nodes that stopped answering SSH during the run */
  unreachable?: { node: string; since: string; reason: string }[];
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
  /** The first failed write (ENOSPC, EACCES...): the run goes on in memory and says so at the end. */
  writeError: Error | undefined;

  constructor(readonly dir: string, public state: RunState) {}

  /** Makes the run folder (0700: the client key may live below it) and registers it for this user. */
  static create(root: string, init: Omit<RunState, 'createdAt' | 'stages' | 'fleetUp'>, registry: RunRegistry = new RunRegistry()): RunStateFile {
    const dir = resolve(root, init.runId);
    if (existsSync(join(dir, 'state.json'))) throw new Error(`run ${init.runId} exists already (${dir}); continue it with --run ${init.runId} or --resume ${init.runId}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = new RunStateFile(dir, { ...init, createdAt: new Date().toISOString(), stages: [], fleetUp: false });
    file.save();
    if (file.writeError) throw file.writeError;
    registry.register({ runId: init.runId, runDir: dir, createdAt: file.state.createdAt });
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

  /** The last completed stage of the run in this order, if any. */
  lastDone(): Stage | undefined {
    const done = new Set(this.state.stages.filter((s) => s.status === 'done').map((s) => s.stage));
    return [...STAGES].reverse().find((s) => done.has(s));
  }

  /** The stage recorded last (running, done or failed). */
  current(): StageRecord | undefined {
    return this.state.stages[this.state.stages.length - 1];
  }

  /**
   * Atomic: a reader never sees a half-written file. Never throws: a full disk must not keep the
   * run from tearing down; the first error is kept in writeError and reported with the run id.
   */
  save(): void {
    const tmp = join(this.dir, `.state.json.${process.pid}`);
    try {
      writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
      renameSync(tmp, join(this.dir, 'state.json'));
    } catch (err) {
      this.writeError ??= err as Error;
    }
  }
}

function tryLoad(dir: string): RunStateFile | undefined {
  try {
    return RunStateFile.load(dir);
  } catch {
    return undefined;
  }
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Every run with a state file under `root` and in this user's registry, newest first. */
export function listRuns(root = runsRoot(), registry: RunRegistry = new RunRegistry()): RunStateFile[] {
  const dirs = new Map<string, string>();
  if (existsSync(root)) for (const d of readdirSync(root)) dirs.set(canonical(join(root, d)), join(root, d));
  for (const e of registry.list()) dirs.set(canonical(e.runDir), e.runDir);
  return [...dirs.values()]
    .map(tryLoad)
    .filter((r): r is RunStateFile => r !== undefined)
    .sort((a, b) => b.state.createdAt.localeCompare(a.state.createdAt));
}

/** The run a command means: the id given (here or in the registry), else the newest run whose fleet is up. */
export function findRun(runId: string | undefined, root = runsRoot(), registry: RunRegistry = new RunRegistry()): RunStateFile | undefined {
  if (runId) {
    const local = tryLoad(join(root, runId));
    if (local) return local;
    const entry = registry.get(runId);
    return entry ? tryLoad(entry.runDir) : undefined;
  }
  return listRuns(root, registry).find((r) => r.state.fleetUp);
}
