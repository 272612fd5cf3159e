// The run artifacts uploaded by the real @actions/artifact client against a stand-in of the
// artifact service (Twirp + Azure block upload): names per run and attempt, retention as the
// expiry, the zip holding the reports and logs and never a key.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DefaultArtifactClient } from '@actions/artifact';
import { FakeArtifactService, fakeRuntimeToken } from '../../fakes/github/artifact-service.js';
import { planRunArtifacts, uploadRunArtifacts } from '../../../src/report/sinks/artifacts.js';

let service: FakeArtifactService;
let work: string;
const saved = { ...process.env };
beforeAll(async () => {
  service = new FakeArtifactService();
  process.env.ACTIONS_RESULTS_URL = await service.start();
  process.env.ACTIONS_RUNTIME_TOKEN = fakeRuntimeToken();
  work = mkdtempSync(join(tmpdir(), 'vt-art-'));
});
afterAll(async () => {
  process.env = saved;
  await service.stop();
  rmSync(work, { recursive: true, force: true });
});

const zipEntries = (zip: Buffer): string[] => {
  writeFileSync(join(work, 'a.zip'), zip);
  const listing = execFileSync('python3', ['-c', 'import sys,zipfile; print("\\n".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))', join(work, 'a.zip')], { encoding: 'utf8' });
  return listing.trim().split('\n');
};

it('uploads reports and logs as two artifacts named per run and attempt, with the retention, no keys', async () => {
  const run = join(work, 'run');
  for (const d of ['logs/boot', 'lab/keys']) mkdirSync(join(run, d), { recursive: true });
  for (const f of ['report.md', 'results.json', 'junit.xml', 'state.json', 'logs/boot/service.log']) writeFileSync(join(run, f), `${f}\n`);
  writeFileSync(join(run, 'lab/keys/client'), '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n');
  const done = await uploadRunArtifacts(new DefaultArtifactClient(), await planRunArtifacts(run, 'k3y9z', 2), 5);
  expect(done.map((d) => d.name)).toEqual(['vps-test-k3y9z-attempt2-reports', 'vps-test-k3y9z-attempt2-logs']);
  expect(service.problems).toEqual([]);
  const [reports, logs] = service.artifacts;
  expect(reports?.finalized && logs?.finalized).toBe(true);
  const days = (Date.parse(reports?.expiresAt ?? '') - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(4.9);
  expect(days).toBeLessThan(5.1);
  expect(zipEntries(reports?.blob as Buffer)).toEqual(['junit.xml', 'report.md', 'results.json', 'state.json']);
  expect(zipEntries(logs?.blob as Buffer)).toEqual(['logs/boot/service.log']);
  expect(reports?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  // a re-run's attempt gets its own names; the same name twice is refused by the service, as GitHub's is
  await expect(uploadRunArtifacts(new DefaultArtifactClient(), await planRunArtifacts(run, 'k3y9z', 2))).rejects.toThrow();
  expect((await uploadRunArtifacts(new DefaultArtifactClient(), await planRunArtifacts(run, 'k3y9z', 3))).map((d) => d.name)).toEqual(['vps-test-k3y9z-attempt3-reports', 'vps-test-k3y9z-attempt3-logs']);
});

it('the baseline saved and restored by the real @actions/cache client (v2 service): newest match of the prefix, only for the same path', async () => {
  process.env.ACTIONS_CACHE_SERVICE_V2 = 'true';
  const { saveCache, restoreCache } = await import('@actions/cache');
  const path = join(work, 'baseline', 'results.json');
  mkdirSync(join(work, 'baseline'), { recursive: true });
  writeFileSync(path, '{"run":"old"}');
  await saveCache([path], 'vps-test-baseline-p-main-r1');
  await new Promise((r) => setTimeout(r, 20));
  writeFileSync(path, '{"run":"new"}');
  await saveCache([path], 'vps-test-baseline-p-main-r2');
  rmSync(path);
  expect(await restoreCache([path], 'vps-test-baseline-p-main-latest', ['vps-test-baseline-p-main-'])).toBe('vps-test-baseline-p-main-r2');
  expect(readFileSync(path, 'utf8')).toBe('{"run":"new"}');
  expect(await restoreCache([join(work, 'elsewhere.json')], 'x', ['vps-test-baseline-p-main-'])).toBeUndefined();
  expect(service.problems).toEqual([]);
});
