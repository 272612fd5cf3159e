// The baseline between runs: results.json cached with @actions/cache under a key per project and
// branch. Cache keys are immutable, so each save adds the run id; restores match by prefix and
// get the newest. A pull request restores its base branch's latest (docs/architecture.md
// "Baseline"). The cache client is an interface so tests assert keys and paths.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface CacheClient {
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/** Where the baseline lives on the runner; the same path for save and restore (it is part of the cache version). */
export const BASELINE_PATH = '.vps-test/baseline/results.json';

/** Cache keys may not contain commas and are at most 512 characters. */
const keyPart = (s: string): string => s.replace(/[,\s]/g, '_').slice(0, 120);

export function baselinePrefix(project: string, branch: string): string {
  return `vps-test-baseline-${keyPart(project)}-${keyPart(branch)}-`;
}

export interface BaselineKeys {
  saveKey: string;
  restoreKey: string;
  restorePrefixes: string[];
  /** the branch whose baseline is restored */
  from: string;
}

/** Save under this branch; restore the base branch's latest on a PR, else this branch's. */
export function baselineKeys(input: { project: string; branch: string; baseBranch?: string; runId: string }): BaselineKeys {
  const from = input.baseBranch || input.branch;
  const prefix = baselinePrefix(input.project, from);
  return { saveKey: `${baselinePrefix(input.project, input.branch)}${keyPart(input.runId)}`, restoreKey: `${prefix}latest`, restorePrefixes: [prefix], from };
}

export interface RestoredBaseline {
  path?: string;
  key?: string;
  /** said in the summary either way */
  message: string;
}

export async function restoreBaseline(cache: CacheClient, keys: BaselineKeys, project: string, path = BASELINE_PATH): Promise<RestoredBaseline> {
  await mkdir(dirname(path), { recursive: true });
  const hit = await cache.restoreCache([path], keys.restoreKey, keys.restorePrefixes);
  const exists = hit !== undefined && (await stat(path).then((s) => s.isFile()).catch(() => false));
  if (!exists) return { message: `No baseline: no earlier results of ${project} on ${keys.from} in the cache (first run there, or it expired), so no deltas are shown.` };
  return { path, key: hit, message: `Baseline: results of ${project} on ${keys.from} (cache key ${hit}).` };
}

export async function saveBaseline(cache: CacheClient, keys: BaselineKeys, resultsPath: string, path = BASELINE_PATH): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await copyFile(resultsPath, path);
  await cache.saveCache([path], keys.saveKey);
  return keys.saveKey;
}
