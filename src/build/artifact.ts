// Artifacts on disk: where a target's binary goes, its sha256 and size, and picking the
// artifact for a node's arch.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Arch } from '../config/model.js';
import { archOfTarget, targetDirName } from './targets.js';
import type { Artifact } from './types.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** <outDir>/<target>/<name>, absolute. */
export function artifactPath(outDir: string, target: string, name: string): string {
  return resolve(outDir, targetDirName(target), name);
}

export async function describeArtifact(target: string, path: string): Promise<Artifact> {
  const [info, sha256] = await Promise.all([stat(path), sha256File(path)]);
  return { target, path, sha256, size: info.size };
}

/** Copies a built binary to its artifact path (via a temp name, so readers never see half a file). */
export async function placeArtifact(source: string, outDir: string, target: string, name: string): Promise<Artifact> {
  const destination = artifactPath(outDir, target, name);
  await mkdir(dirname(destination), { recursive: true });
  if (resolve(source) !== destination) {
    const temp = join(dirname(destination), `.${name}.tmp-${process.pid}`);
    await copyFile(source, temp);
    await rename(temp, destination);
  }
  await chmod(destination, 0o755);
  return describeArtifact(target, destination);
}

/** The artifact that runs on a node of the given arch (first match), if any. */
export function artifactForArch(artifacts: Artifact[], arch: Arch): Artifact | undefined {
  return artifacts.find((artifact) => archOfTarget(artifact.target) === arch);
}

export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
