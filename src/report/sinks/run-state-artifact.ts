// The run state handed between jobs (stage actions, soak checkpoints) as an artifact: the run
// folder without keys, lab internals or binaries, so it holds no secret (docs/architecture.md
// "Run state between jobs"). Each stage uploads a new one (artifact names are immutable); the
// next job downloads the newest for its run id.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { artifactName } from './artifacts.js';

export interface StateStore {
  upload(name: string, files: string[], rootDirectory: string): Promise<void>;
  /** Downloads the newest artifact whose name starts with `prefix` into `into`; its name, or undefined. */
  downloadLatest(prefix: string, into: string): Promise<string | undefined>;
}

const NEVER = new Set(['lab', 'build', 'keys', '.ssh']);
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export const stateArtifactPrefix = (runId: string): string => `vps-test-${runId}-state-`;

export function stateArtifactName(runId: string, stage: string, attempt: string | number): string {
  // vps-test-<run>-state-<stage>-attempt<n>: the prefix finds every stage's, the suffix keeps re-runs apart
  return artifactName(runId, attempt, stage).replace(/^vps-test-(.+)-attempt(\d+)-(.+)$/, 'vps-test-$1-state-$3-attempt$2');
}

/** Every file of the run folder except keys, lab internals, binaries and anything holding a private key. */
export async function stateFiles(runDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (relative(runDir, p).split(sep).some((part) => NEVER.has(part))) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && !((await stat(p)).size < 4 << 20 && PRIVATE_KEY.test(await readFile(p, 'utf8')))) out.push(p);
    }
  };
  await walk(runDir);
  return out.sort();
}
