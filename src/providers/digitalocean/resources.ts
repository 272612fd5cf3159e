// The account's vps-test resources by run (droplets with what they cost, SSH keys), and the
// destruction of one run's: by its tag and its key's name only, then checked. A run is found by
// its id alone, so `down RUN`, `stop RUN` and `status` work without the run's folder (a dead
// controller, another machine). See docs/architecture.md, "DigitalOcean".
import type { CloudMachine, RunResources } from '../types.js';
import type { DigitalOceanApi, Droplet } from './api.js';
import { FLEET_TAG, expiryOfTags, parseSshKeyName, runIdOfTags, runTag } from './naming.js';

/** The account's vps-test droplets and keys, by run (one list by tag, one of keys, sizes for prices). */
export async function listRunResources(api: DigitalOceanApi, filter?: { runId?: string }): Promise<RunResources[]> {
  const droplets = await api.dropletsByTag(filter?.runId ? runTag(filter.runId) : FLEET_TAG);
  const keys = await api.sshKeys();
  const prices = droplets.length ? new Map((await api.sizes()).map((s) => [s.slug, s.price_hourly])) : new Map<string, number>();
  const byRun = new Map<string, RunResources>();
  const entry = (runId: string) => byRun.get(runId) ?? byRun.set(runId, { runId, provider: 'digitalocean', resources: [], machines: [] }).get(runId) as RunResources;
  for (const d of droplets) {
    const runId = runIdOfTags(d.tags);
    if (!runId) continue;
    const e = entry(runId);
    e.resources.push(`droplet:${d.id}:${d.name}`);
    e.machines?.push(machineOf(d, prices));
    const exp = expiryOfTags(d.tags);
    if (exp !== undefined) e.expiresAt = exp;
  }
  for (const k of keys) {
    const parsed = parseSshKeyName(k.name);
    if (!parsed || (filter?.runId && parsed.runId !== filter.runId)) continue;
    const e = entry(parsed.runId);
    e.resources.push(`ssh_key:${k.id}:${k.name}`);
    e.expiresAt ??= parsed.expiresAtMs;
  }
  return [...byRun.values()].filter((r) => !filter?.runId || r.runId === filter.runId);
}

function machineOf(d: Droplet, prices: Map<string, number>): CloudMachine {
  const expiresAt = expiryOfTags(d.tags);
  const hourly = prices.get(d.size_slug) ?? d.size?.price_hourly;
  return {
    id: String(d.id),
    name: d.name,
    status: d.status,
    ...(d.region?.slug ? { region: d.region.slug } : {}),
    size: d.size_slug,
    createdAt: d.created_at,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(hourly !== undefined ? { hourlyUsd: hourly } : {}),
  };
}

export interface DestroyOptions {
  log: (line: string) => void;
  /** First wait between checks that the tag is empty (grows 1.5x to 5 s). */
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Deletes the droplets tagged with the run and the SSH keys named for it (nothing else: the
 * tag filter and the key name are exact), then checks that neither is left.
 */
export async function destroyRunResources(api: DigitalOceanApi, runId: string, o: DestroyOptions): Promise<{ keys: number }> {
  const tag = runTag(runId);
  await api.deleteDropletsByTag(tag);
  const ofRun = async () => (await api.sshKeys()).filter((k) => parseSshKeyName(k.name)?.runId === runId);
  const keys = await ofRun();
  for (const k of keys) await api.deleteSshKey(k.id as number);
  // deletion is asynchronous on DigitalOcean: verify, briefly, that the tag is empty
  let left = await api.dropletsByTag(tag);
  for (let i = 0; left.length > 0 && i < 30; i++) {
    await o.sleep(Math.min(5000, o.pollMs * 1.5 ** i));
    left = await api.dropletsByTag(tag);
  }
  if (left.length > 0) throw new Error(`droplets of run ${runId} still exist after deletion: ${left.map((d) => `${d.name} (${d.id})`).join(', ')}; delete them by tag ${tag}`);
  const keysLeft = await ofRun();
  if (keysLeft.length > 0) throw new Error(`SSH keys of run ${runId} still exist after deletion: ${keysLeft.map((k) => `${k.name} (${k.id})`).join(', ')}`);
  o.log(`digitalocean: run ${runId}: droplets tagged ${tag} and ${keys.length} SSH key(s) deleted; none left`);
  return { keys: keys.length };
}
