// Names and tags that tie DigitalOcean resources to a run, so that destroy, `down RUN` and the
// janitor find them from the run id (or the clock) alone. Pure.
export const FLEET_TAG = 'vps-test';
const RUN_PREFIX = 'vps-test-run-';
const EXPIRES_PREFIX = 'vps-test-expires-';

export function runTag(runId: string): string {
  return `${RUN_PREFIX}${runId}`;
}

export function expiresTag(expiresAtMs: number): string {
  return `${EXPIRES_PREFIX}${Math.floor(expiresAtMs / 1000)}`;
}

export function tagsFor(runId: string, expiresAtMs: number): string[] {
  return [FLEET_TAG, runTag(runId), expiresTag(expiresAtMs)];
}

export function dropletName(runId: string, node: string): string {
  return `vt-${runId}-${node}`;
}

/** The run's SSH key carries its expiry in its name (keys have no tags). */
export function sshKeyName(runId: string, expiresAtMs: number): string {
  return `vps-test-${runId}-expires-${Math.floor(expiresAtMs / 1000)}`;
}

export function parseSshKeyName(name: string): { runId: string; expiresAtMs: number } | undefined {
  const m = /^vps-test-(.+)-expires-(\d+)$/.exec(name);
  return m ? { runId: m[1] as string, expiresAtMs: Number(m[2]) * 1000 } : undefined;
}

export function runIdOfTags(tags: string[]): string | undefined {
  return tags.find((t) => t.startsWith(RUN_PREFIX))?.slice(RUN_PREFIX.length);
}

export function expiryOfTags(tags: string[]): number | undefined {
  const t = tags.find((x) => x.startsWith(EXPIRES_PREFIX));
  const s = t?.slice(EXPIRES_PREFIX.length);
  return s && /^\d+$/.test(s) ? Number(s) * 1000 : undefined;
}
