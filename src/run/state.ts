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
  /** process groups the controller started (build commands) while they run: killed if it dies */
  children?: ControllerId[];
  /** nodes that stopped answering SSH during the run */
  unreachable?: { node: string; since: string; reason: string }[];
  /** the soak's progress (soak-stage.ts): which checkpoints are done, when the next is due */
  soak?: SoakProgress;
}

export interface SoakCheckpointProgress {
  name: string;
  /** ISO: the first test's end plus the checkpoint */
  dueAt: string;
  status: 'pending' | 'running' | 'done';
  endedAt?: string;
  verdict?: string;
}

export interface SoakProgress {
  /** ISO: when the first test stage ended (checkpoints count from here) */
  since: string;
  checkpoints: SoakCheckpointProgress[];
  /** the checkpoint waited for or running now; absent when the soak is over */
  next?: { checkpoint: string; dueAt: string };
  /** why the soak ended before its last checkpoint (stop, Ctrl-C) */
  cutShort?: string;
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
  /** Why the run could not be registered for this user, if it could not. */
  registryError: string | undefined;

  constructor(readonly dir: string, public state: RunState) {}

  /**
   * Makes the run folder and registers it for this user. The folder is readable (0755): it holds
   * no secret (the client key lives in lab/keys, 0700), and a CI job that ran us under sudo reads
   * the reports back as its own user.
   */
  static create(root: string, init: Omit<RunState, 'createdAt' | 'stages' | 'fleetUp'>, registry: RunRegistry = new RunRegistry()): RunStateFile {
    const dir = resolve(root, init.runId);
    if (existsSync(join(dir, 'state.json'))) throw new Error(`run ${init.runId} exists already (${dir}); continue it with --run ${init.runId} or --resume ${init.runId}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const file = new RunStateFile(dir, { ...init, createdAt: new Date().toISOString(), stages: [], fleetUp: false });
    file.save();
    if (file.writeError) throw file.writeError;
    try {
      registry.register({ runId: init.runId, runDir: dir, createdAt: file.state.createdAt });
    } catch (err) {
      // the run works without it, only not by id from other directories: say so, go on
      file.registryError = `not registered in ${registry.dir} (${(err as Error).message}): other directories will not find run ${init.runId} by id`;
    }
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
export function listRuns(root = runsRoot(), registry: RunRegistry | null = new RunRegistry()): RunStateFile[] {
  const dirs = new Map<string, string>();
  if (existsSync(root)) for (const d of readdirSync(root)) dirs.set(canonical(join(root, d)), join(root, d));
  for (const e of registry?.list() ?? []) dirs.set(canonical(e.runDir), e.runDir);
  return [...dirs.values()]
    .map(tryLoad)
    .filter((r): r is RunStateFile => r !== undefined)
    .sort((a, b) => b.state.createdAt.localeCompare(a.state.createdAt));
}

/**
 * The run a command means: the id given (here, else in the registry: from any directory), else
 * the newest run of THIS directory whose fleet is up (a default never reaches another checkout).
 */
export function findRun(runId: string | undefined, root = runsRoot(), registry: RunRegistry = new RunRegistry()): RunStateFile | undefined {
  if (runId) {
    const local = tryLoad(join(root, runId));
    if (local) return local;
    const entry = registry.get(runId);
    return entry ? tryLoad(entry.runDir) : undefined;
  }
  return listRuns(root, null).find((r) => r.state.fleetUp);
}

/** Forgets registry entries whose run folder is gone; returns their ids. */
export function pruneRegistry(registry: RunRegistry = new RunRegistry()): string[] {
  const gone = registry.list().filter((e) => !existsSync(join(e.runDir, 'state.json')));
  for (const e of gone) registry.forget(e.runId);
  return gone.map((e) => e.runId);
}
