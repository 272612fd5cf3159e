// Builder for kind 'prebuilt': binaries built elsewhere (a local path or an http(s) URL), each
// verified against its configured sha256 before it becomes an artifact.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { artifactPath, placeArtifact } from './artifact.js';
import { BuildError } from './exec.js';
import type { Artifact, BuildOptions, PrebuiltBinary, PrebuiltBuildConfig } from './types.js';

/** Downloads a URL's body; injected in tests. */
export type Fetcher = (url: string, signal?: AbortSignal) => Promise<Uint8Array>;

const fetchBytes: Fetcher = async (url, signal) => {
  const response = await fetch(url, { signal, redirect: 'follow' });
  if (!response.ok) throw new BuildError(`prebuilt: GET ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
};

function sourceOf(binary: PrebuiltBinary): string {
  if (binary.path && binary.url) throw new BuildError(`prebuilt ${binary.target}: give either path or url, not both`);
  const source = binary.path ?? binary.url;
  if (!source) throw new BuildError(`prebuilt ${binary.target}: needs a path or a url`);
  if (binary.url && !/^https?:\/\//.test(binary.url)) throw new BuildError(`prebuilt ${binary.target}: url must be http(s): ${binary.url}`);
  return source;
}

/** Default binary name: the file name of the first path or URL (query string ignored). */
export function defaultPrebuiltName(binaries: PrebuiltBinary[]): string {
  const first = binaries[0];
  const source = first ? (first.path ?? first.url ?? '') : '';
  return basename(source.split(/[?#]/)[0] ?? '') || 'app';
}

/** Throws a clear error naming both hashes when the content does not match. */
export function verifySha256(bytes: Uint8Array, expected: string, what: string): string {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (!/^[0-9a-fA-F]{64}$/.test(expected)) throw new BuildError(`${what}: sha256 must be 64 hex digits, got "${expected}"`);
  if (actual !== expected.toLowerCase()) {
    throw new BuildError(`${what}: sha256 mismatch: expected ${expected.toLowerCase()}, got ${actual}`);
  }
  return actual;
}

export async function buildPrebuilt(
  config: PrebuiltBuildConfig,
  options: BuildOptions & { fetcher?: Fetcher },
): Promise<Artifact[]> {
  if (config.binaries.length === 0) throw new BuildError('build kind prebuilt: `binaries` is empty');
  const name = config.name ?? defaultPrebuiltName(config.binaries);
  const fetcher = options.fetcher ?? fetchBytes;
  const artifacts: Artifact[] = [];
  for (const binary of config.binaries) {
    const source = sourceOf(binary);
    options.onProgress?.(`prebuilt: ${binary.target} from ${source}`);
    const bytes = binary.url
      ? await fetcher(binary.url, options.signal)
      : await readFile(resolve(options.cwd, source)).catch(() => {
          throw new BuildError(`prebuilt ${binary.target}: file not found: ${resolve(options.cwd, source)}`);
        });
    verifySha256(bytes, binary.sha256, `prebuilt ${binary.target} (${source})`);
    // Write next to the destination, then place atomically.
    const destination = artifactPath(options.outDir, binary.target, name);
    await mkdir(dirname(destination), { recursive: true });
    const staging = join(dirname(destination), `.${name}.download-${process.pid}`);
    await writeFile(staging, bytes);
    try {
      artifacts.push(await placeArtifact(staging, options.outDir, binary.target, name));
    } finally {
      await rm(staging, { force: true });
    }
  }
  return artifacts;
}
