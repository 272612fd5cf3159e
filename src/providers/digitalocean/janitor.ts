// The janitor: droplets and SSH keys whose vps-test expiry has passed are deleted, whoever made
// them (a cancelled CI job, a killed laptop). Unexpired ones and anything not ours stay.
import type { DigitalOceanApi, Droplet, SshKey } from './api.js';
import { FLEET_TAG, expiryOfTags, parseSshKeyName, runIdOfTags } from './naming.js';

export interface JanitorFinding {
  kind: 'droplet' | 'ssh_key';
  id: number;
  name: string;
  runId?: string;
  expiresAt?: number;
  expired: boolean;
}

/** What is expired at `now`. Pure. A vps-test droplet without an expiry tag is kept (not ours to judge). */
export function judge(droplets: Droplet[], keys: SshKey[], now: number): JanitorFinding[] {
  const out: JanitorFinding[] = [];
  for (const d of droplets) {
    if (!d.tags.includes(FLEET_TAG)) continue;
    const expiresAt = expiryOfTags(d.tags);
    const runId = runIdOfTags(d.tags);
    out.push({ kind: 'droplet', id: d.id, name: d.name, ...(runId ? { runId } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}), expired: expiresAt !== undefined && expiresAt <= now });
  }
  for (const k of keys) {
    const parsed = parseSshKeyName(k.name);
    if (!parsed || k.id === undefined) continue;
    out.push({ kind: 'ssh_key', id: k.id, name: k.name, runId: parsed.runId, expiresAt: parsed.expiresAtMs, expired: parsed.expiresAtMs <= now });
  }
  return out;
}

export async function runJanitor(api: DigitalOceanApi, options: { dryRun: boolean; now?: number; log: (line: string) => void }): Promise<JanitorFinding[]> {
  const now = options.now ?? Date.now();
  const findings = judge(await api.dropletsByTag(FLEET_TAG), await api.sshKeys(), now);
  for (const f of findings) {
    const when = f.expiresAt !== undefined ? `expired ${new Date(f.expiresAt).toISOString()}` : 'no expiry tag';
    if (!f.expired) {
      options.log(`keep   ${f.kind} ${f.name} (${f.expiresAt !== undefined ? `expires ${new Date(f.expiresAt).toISOString()}` : when})`);
      continue;
    }
    options.log(`${options.dryRun ? 'would delete' : 'delete'} ${f.kind} ${f.name} (run ${f.runId ?? '?'}, ${when})`);
    if (options.dryRun) continue;
    if (f.kind === 'droplet') await api.deleteDroplet(f.id);
    else await api.deleteSshKey(f.id);
  }
  return findings;
}
