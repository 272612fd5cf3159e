// Run artifacts (reports, results, logs, proof) uploaded through a small interface that
// @actions/artifact's client satisfies. Artifact names are immutable within a workflow run, so
// each carries the run id and the attempt: a re-run never collides with the first attempt.
// Keys and build outputs are never uploaded (docs/architecture.md "Artifacts").
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface ArtifactUploader {
  uploadArtifact(name: string, files: string[], rootDirectory: string, options?: { retentionDays?: number }): Promise<{ id?: number; size?: number }>;
}

export interface ArtifactUpload {
  name: string;
  rootDirectory: string;
  files: string[];
}

export interface ArtifactPlan {
  uploads: ArtifactUpload[];
  /** files left out, with why */
  excluded: { file: string; why: string }[];
}

const REPORT_FILE = /^(report\.md|results\.json|results\.jsonl|junit\.xml|journal\.md|state\.json|proof-[^/]+\.md)$/;
/** folders of a run that hold keys (lab/keys), built binaries (build) or lab internals */
const NEVER_DIRS = new Set(['lab', 'build', 'keys', '.ssh']);
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function artifactName(runId: string, attempt: number | string, kind: string): string {
  // Names may not hold " : < > | * ? \ / or CR/LF.
  return `vps-test-${runId}-attempt${attempt}-${kind}`.replace(/["':<>|*?\\/\r\n]/g, '-');
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** What to upload from a run folder, and what was left out. */
export async function planRunArtifacts(runDir: string, runId: string, attempt: number | string): Promise<ArtifactPlan> {
  const reports: string[] = [];
  const logs: string[] = [];
  const excluded: ArtifactPlan['excluded'] = [];
  for (const file of await walk(runDir)) {
    const rel = relative(runDir, file);
    const top = rel.split(sep)[0] as string;
    if (NEVER_DIRS.has(top) || rel.split(sep).some((p) => NEVER_DIRS.has(p))) {
      excluded.push({ file: rel, why: `under ${top}/ (keys, binaries or lab internals)` });
      continue;
    }
    if ((await stat(file)).size < 4 << 20 && PRIVATE_KEY.test(await readFile(file, 'utf8'))) {
      excluded.push({ file: rel, why: 'holds a private key' });
      continue;
    }
    if (top === 'logs') logs.push(file);
    else if (REPORT_FILE.test(rel)) reports.push(file);
    else excluded.push({ file: rel, why: 'not a report, result or log' });
  }
  const uploads: ArtifactUpload[] = [];
  if (reports.length) uploads.push({ name: artifactName(runId, attempt, 'reports'), rootDirectory: runDir, files: reports });
  if (logs.length) uploads.push({ name: artifactName(runId, attempt, 'logs'), rootDirectory: runDir, files: logs });
  return { uploads, excluded };
}

export interface UploadedArtifact {
  name: string;
  id?: number;
  files: number;
}

export async function uploadRunArtifacts(uploader: ArtifactUploader, plan: ArtifactPlan, retentionDays?: number): Promise<UploadedArtifact[]> {
  const done: UploadedArtifact[] = [];
  for (const u of plan.uploads) {
    const res = await uploader.uploadArtifact(u.name, u.files, u.rootDirectory, retentionDays !== undefined ? { retentionDays } : {});
    done.push({ name: u.name, files: u.files.length, ...(res.id !== undefined && { id: res.id }) });
  }
  return done;
}
