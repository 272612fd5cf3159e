// The artifact and cache clients: @actions/artifact and @actions/cache on a GitHub runner; a
// folder stand-in when VPS_TEST_LOCAL_ARTIFACT_DIR / VPS_TEST_LOCAL_CACHE_DIR is set (running
// the action outside GitHub, e.g. in this repo's tests), with the same names, keys and paths.
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, dirname } from 'node:path';
import type { ArtifactUploader } from '../../report/sinks/artifacts.js';
import type { CacheClient } from '../../report/sinks/baseline.js';
import type { StateStore } from '../../report/sinks/run-state-artifact.js';

export function localArtifactUploader(dir: string): ArtifactUploader {
  return {
    async uploadArtifact(name, files, rootDirectory, options) {
      const into = join(dir, name);
      await mkdir(into, { recursive: true });
      for (const f of files) {
        await mkdir(dirname(join(into, relative(rootDirectory, f))), { recursive: true });
        await cp(f, join(into, relative(rootDirectory, f)));
      }
      await writeFile(join(dir, `${name}.json`), JSON.stringify({ name, files: files.map((f) => relative(rootDirectory, f)), rootDirectory, retentionDays: options?.retentionDays ?? null }, null, 2));
      return { id: (await readdir(dir)).length, size: files.length };
    },
  };
}

export function localCacheClient(dir: string): CacheClient {
  const keyDir = (key: string): string => join(dir, encodeURIComponent(key));
  // Like GitHub's cache, an entry is found only for the same paths (they are part of its version).
  const samePaths = async (key: string, paths: string[]): Promise<boolean> =>
    (await readFile(join(keyDir(key), '.paths.json'), 'utf8').catch(() => '')) === JSON.stringify(paths);
  return {
    async restoreCache(paths, primaryKey, restoreKeys = []) {
      const decoded = (await readdir(dir).catch(() => [] as string[])).map(decodeURIComponent);
      const usable: string[] = [];
      for (const k of decoded) if (await samePaths(k, paths)) usable.push(k);
      let hit = usable.find((k) => k === primaryKey);
      for (const prefix of restoreKeys) {
        if (hit) break;
        // newest first, as GitHub's cache does for a prefix match
        const dated = await Promise.all(usable.filter((k) => k.startsWith(prefix)).map(async (k) => ({ k, t: (await stat(keyDir(k))).mtimeMs })));
        hit = dated.sort((a, b) => b.t - a.t)[0]?.k;
      }
      if (!hit) return undefined;
      for (const [i, p] of paths.entries()) await cp(join(keyDir(hit), String(i)), p, { recursive: true });
      return hit;
    },
    async saveCache(paths, key) {
      if (existsSync(keyDir(key))) throw new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`);
      await mkdir(keyDir(key), { recursive: true });
      for (const [i, p] of paths.entries()) await cp(p, join(keyDir(key), String(i)), { recursive: true });
      await writeFile(join(keyDir(key), '.paths.json'), JSON.stringify(paths));
      return 1;
    },
  };
}

export async function artifactUploader(): Promise<ArtifactUploader | undefined> {
  if (process.env.VPS_TEST_LOCAL_ARTIFACT_DIR) return localArtifactUploader(process.env.VPS_TEST_LOCAL_ARTIFACT_DIR);
  if (!process.env.ACTIONS_RUNTIME_TOKEN) return undefined;
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

export async function cacheClient(): Promise<CacheClient | undefined> {
  if (process.env.VPS_TEST_LOCAL_CACHE_DIR) return localCacheClient(process.env.VPS_TEST_LOCAL_CACHE_DIR);
  const cache = await import('@actions/cache');
  if (!cache.isFeatureAvailable()) return undefined;
  return { restoreCache: (p, k, r) => cache.restoreCache(p, k, r), saveCache: (p, k) => cache.saveCache(p, k) };
}

export function localStateStore(dir: string): StateStore {
  const uploader = localArtifactUploader(dir);
  return {
    upload: async (name, files, root) => void (await uploader.uploadArtifact(name, files, root)),
    async downloadLatest(prefix, into) {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && !n.endsWith('.json'));
      const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
      const newest = dated.sort((a, b) => b.t - a.t)[0]?.n;
      if (!newest) return undefined;
      await mkdir(into, { recursive: true });
      await cp(join(dir, newest), into, { recursive: true });
      return newest;
    },
  };
}

export async function stateStore(): Promise<StateStore | undefined> {
  if (process.env.VPS_TEST_LOCAL_ARTIFACT_DIR) return localStateStore(process.env.VPS_TEST_LOCAL_ARTIFACT_DIR);
  if (!process.env.ACTIONS_RUNTIME_TOKEN) return undefined;
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const client = new DefaultArtifactClient();
  return {
    upload: async (name, files, root) => void (await client.uploadArtifact(name, files, root)),
    async downloadLatest(prefix, into) {
      const { artifacts } = await client.listArtifacts({ latest: true });
      const newest = artifacts.filter((a) => a.name.startsWith(prefix)).sort((a, b) => (b.createdAt?.getTime() ?? b.id) - (a.createdAt?.getTime() ?? a.id))[0];
      if (!newest) return undefined;
      await client.downloadArtifact(newest.id, { path: into });
      return newest.name;
    },
  };
}
