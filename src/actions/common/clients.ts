// The artifact and cache clients: @actions/artifact and @actions/cache on a GitHub runner; a
// folder stand-in when VPS_TEST_LOCAL_ARTIFACT_DIR / VPS_TEST_LOCAL_CACHE_DIR is set (running
// the action outside GitHub, e.g. in this repo's tests), with the same names, keys and paths.
import { cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative, dirname } from 'node:path';
import type { ArtifactUploader } from '../../report/sinks/artifacts.js';
import type { CacheClient } from '../../report/sinks/baseline.js';

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
  return {
    async restoreCache(paths, primaryKey, restoreKeys = []) {
      const keys = await readdir(dir).catch(() => [] as string[]);
      const decoded = keys.map(decodeURIComponent);
      let hit = decoded.find((k) => k === primaryKey);
      for (const prefix of restoreKeys) {
        if (hit) break;
        const matches = decoded.filter((k) => k.startsWith(prefix));
        // newest first, as GitHub's cache does for a prefix match
        const dated = await Promise.all(matches.map(async (k) => ({ k, t: (await stat(keyDir(k))).mtimeMs })));
        hit = dated.sort((a, b) => b.t - a.t)[0]?.k;
      }
      if (!hit) return undefined;
      for (const p of paths) await cp(join(keyDir(hit), p.replace(/^\/+/, '')), p, { recursive: true });
      return hit;
    },
    async saveCache(paths, key) {
      for (const p of paths) await cp(p, join(keyDir(key), p.replace(/^\/+/, '')), { recursive: true });
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
