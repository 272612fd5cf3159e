// The per-user run registry (docs/architecture.md, "Run registry"): one small pointer file per run
// under the user's state directory, so a run is found by its id from any directory. The run
// folder itself stays where the user ran (./.vps-test/runs/<id>/); the registry only says where.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface RegistryEntry {
  runId: string;
  /** absolute path of the run folder */
  runDir: string;
  createdAt: string;
}

/** $VPS_TEST_STATE_DIR, else $XDG_STATE_HOME/vps-test, else ~/.local/state/vps-test. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VPS_TEST_STATE_DIR) return resolve(env.VPS_TEST_STATE_DIR);
  if (env.XDG_STATE_HOME) return resolve(env.XDG_STATE_HOME, 'vps-test');
  return join(env.HOME || homedir(), '.local', 'state', 'vps-test');
}

const RUN_ID = /^[a-z0-9][a-z0-9]{1,23}$/;

export function checkRunId(id: string): string {
  if (!RUN_ID.test(id)) throw new Error(`run id '${id}': expected 2-24 lowercase letters and digits (it prefixes namespace and droplet names)`);
  return id;
}

export class RunRegistry {
  constructor(readonly dir: string = stateDir()) {}

  private get runsDir(): string {
    return join(this.dir, 'runs');
  }

  register(entry: RegistryEntry): void {
    mkdirSync(this.runsDir, { recursive: true, mode: 0o700 });
    const file = join(this.runsDir, `${checkRunId(entry.runId)}.json`);
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`);
    renameSync(tmp, file);
  }

  get(runId: string): RegistryEntry | undefined {
    const file = join(this.runsDir, `${runId}.json`);
    if (!RUN_ID.test(runId) || !existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as RegistryEntry;
    } catch {
      return undefined;
    }
  }

  /** Every registered run, newest first (entries whose folder is gone included: status shows them). */
  list(): RegistryEntry[] {
    if (!existsSync(this.runsDir)) return [];
    return readdirSync(this.runsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.get(f.slice(0, -5)))
      .filter((e): e is RegistryEntry => e !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  forget(runId: string): void {
    rmSync(join(this.runsDir, `${runId}.json`), { force: true });
  }
}
