// The run folder as the contract between stages (docs/architecture.md, "The run folder"): every
// stage writes what it made here and the next stage reads it back from here, so a stage can run
// in another process, another CI job, or after the controller died. Nothing here holds a secret.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Plan } from '../plan/types.js';
import type { Artifact } from '../build/index.js';
import { sha256File } from '../build/index.js';
import type { Fleet } from '../fleet/types.js';

export const RUN_FILES = {
  config: 'config.json',
  plan: 'plan.json',
  artifacts: 'artifacts.json',
  fleet: 'fleet.json',
  deployment: 'deployment.json',
  events: 'results.jsonl',
  results: 'results.json',
} as const;

export class RunFileError extends Error {
  override name = 'RunFileError';
}

export function writeRunJson(runDir: string, name: string, value: unknown): string {
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const file = join(runDir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

export function readRunJson<T>(runDir: string, name: string, madeBy: string): T {
  const file = join(runDir, name);
  if (!existsSync(file)) throw new RunFileError(`${file} is missing: the ${madeBy} stage of this run has not completed (run it with --stages ${madeBy})`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new RunFileError(`${file} is not valid JSON (${(err as Error).message}); the ${madeBy} stage must be run again`);
  }
}

/** The Config the plan was made from, normalized (defaults applied): what the Plan does not carry yet. */
export function writeConfig(runDir: string, config: Config): void {
  writeRunJson(runDir, RUN_FILES.config, config);
}

export function readConfig(runDir: string): Config {
  const config = readRunJson<Config>(runDir, RUN_FILES.config, 'plan');
  if (!config || typeof config !== 'object' || !config.build || !config.fleet) throw new RunFileError(`${join(runDir, RUN_FILES.config)} is not a config record`);
  return config;
}

export function writePlan(runDir: string, plan: Plan): void {
  writeRunJson(runDir, RUN_FILES.plan, plan);
}

export function readPlan(runDir: string): Plan {
  const plan = readRunJson<Plan>(runDir, RUN_FILES.plan, 'plan');
  if (!plan || !Array.isArray(plan.nodes) || !Array.isArray(plan.suites) || !plan.choices) throw new RunFileError(`${join(runDir, RUN_FILES.plan)} is not a plan`);
  return plan;
}

interface ArtifactsRecord {
  artifacts: Artifact[];
}

/** Paths below the run folder are stored relative to it, so a copied run folder still works. */
export function writeArtifacts(runDir: string, artifacts: Artifact[]): void {
  const record: ArtifactsRecord = {
    artifacts: artifacts.map((a) => {
      const rel = relative(runDir, a.path);
      return { target: a.target, path: rel.startsWith('..') || isAbsolute(rel) ? a.path : rel, sha256: a.sha256, size: a.size };
    }),
  };
  writeRunJson(runDir, RUN_FILES.artifacts, record);
}

/** Reads the artifacts back and checks each file is still the one that was built. */
export async function readArtifacts(runDir: string): Promise<Artifact[]> {
  const record = readRunJson<ArtifactsRecord>(runDir, RUN_FILES.artifacts, 'build');
  if (!record || !Array.isArray(record.artifacts) || record.artifacts.length === 0) throw new RunFileError(`${join(runDir, RUN_FILES.artifacts)} lists no artifact`);
  const out: Artifact[] = [];
  for (const a of record.artifacts) {
    const path = resolve(runDir, a.path);
    if (!existsSync(path)) throw new RunFileError(`artifact ${a.target} is missing: ${path} (run the build stage again)`);
    const sha = await sha256File(path);
    if (sha !== a.sha256) throw new RunFileError(`artifact ${a.target} at ${path} changed since it was built (sha256 ${sha.slice(0, 12)}..., recorded ${a.sha256.slice(0, 12)}...)`);
    out.push({ ...a, path });
  }
  return out;
}

export { readFleet, writeFleet } from '../providers/fleet-file.js';

export interface ServiceRecord {
  node: string;
  name: string;
}

/** What the deploy stage left running, and where the test stage finds it. */
export interface DeploymentRecord {
  binaryName: string;
  /** remote path of the subject binary, per node */
  binPaths: Record<string, string>;
  /** rendezvous + relay (the bootstrap node's agent `serve`) */
  server?: { node: string; ip: string; port: number; relay: boolean };
  services: ServiceRecord[];
  deployedAt: string;
}

export function writeDeployment(runDir: string, record: DeploymentRecord): void {
  writeRunJson(runDir, RUN_FILES.deployment, record);
}

export function readDeployment(runDir: string, fleet: Fleet): DeploymentRecord {
  const record = readRunJson<DeploymentRecord>(runDir, RUN_FILES.deployment, 'deploy');
  if (!record || typeof record.binPaths !== 'object') throw new RunFileError(`${join(runDir, RUN_FILES.deployment)} is not a deployment record`);
  const missing = fleet.nodes.filter((n) => !record.binPaths[n.name]).map((n) => n.name);
  if (missing.length) throw new RunFileError(`${join(runDir, RUN_FILES.deployment)} has no binary for ${missing.join(', ')}: deploy again`);
  return record;
}
