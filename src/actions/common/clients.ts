// The artifact, cache and run-state clients: @actions/artifact and @actions/cache as the runner
// provides them (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL); undefined where the step has no
// such service, and the caller says so. Tests run them against a stand-in of the service.
import type { ArtifactUploader } from '../../report/sinks/artifacts.js';
import type { CacheClient } from '../../report/sinks/baseline.js';
import type { StateStore } from '../../report/sinks/run-state-artifact.js';

export async function artifactUploader(): Promise<ArtifactUploader | undefined> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) return undefined;
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

export async function cacheClient(): Promise<CacheClient | undefined> {
  const cache = await import('@actions/cache');
  if (!cache.isFeatureAvailable()) return undefined;
  return { restoreCache: (p, k, r) => cache.restoreCache(p, k, r), saveCache: (p, k) => cache.saveCache(p, k) };
}

export async function stateStore(): Promise<StateStore | undefined> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) return undefined;
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const client = new DefaultArtifactClient();
  return {
    upload: async (name, files, root) => void (await client.uploadArtifact(name, files, root)),
    async downloadLatest(prefix, into) {
      const { artifacts } = await client.listArtifacts({ latest: true });
      const newest = artifacts.filter((a) => a.name.startsWith(prefix)).sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || b.id - a.id)[0]; // same second: the later upload
      if (!newest) return undefined;
      await client.downloadArtifact(newest.id, { path: into });
      return newest.name;
    },
  };
}
