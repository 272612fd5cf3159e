// The build stage: one entry point dispatching on the configured kind. Builds run on the
// controller only (never on a node) and produce Artifact {target, path, sha256, size}.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildAgent } from './agent.js';
import { formatSize } from './artifact.js';
import { buildC } from './c.js';
import { buildCargo } from './cargo.js';
import { buildGo } from './go.js';
import { buildPrebuilt } from './prebuilt.js';
import { buildZigProject } from './zig-project.js';
import { open } from 'node:fs/promises';
import { inspectElf } from './elf.js';
import { BuildError } from './exec.js';
import { archOfTarget } from './targets.js';
import type { Artifact, BuildConfig, BuildOptions } from './types.js';

export async function buildArtifacts(config: BuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const opts = { ...options, outDir: resolve(options.cwd, options.outDir) };
  await mkdir(opts.outDir, { recursive: true });
  const started = Date.now();
  const artifacts = await dispatch(config, opts);
  for (const a of artifacts) {
    await checkArtifactArch(a, config.kind === 'prebuilt');
    opts.onProgress?.(`built ${a.target}: ${a.path} (${formatSize(a.size)}, sha256 ${a.sha256.slice(0, 12)})`);
  }
  opts.onProgress?.(`build (${config.kind}) done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return artifacts;
}

/** A binary labelled for one arch but built for another would fail only on the node: catch it here. */
async function checkArtifactArch(artifact: Artifact, prebuilt: boolean): Promise<void> {
  const arch = archOfTarget(artifact.target);
  if (!arch) return;
  // A prebuilt script (#!/usr/bin/env python3 ...) runs on any arch whose machine has its interpreter.
  if (prebuilt && (await isScript(artifact.path))) return;
  const elf = await inspectElf(artifact.path);
  if (elf.machine !== arch) {
    throw new BuildError(`artifact ${artifact.path} for target ${artifact.target} is built for ${elf.machine}, not ${arch}`);
  }
}

async function isScript(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await file.read(head, 0, 2, 0);
    return head.toString('latin1') === '#!';
  } finally {
    await file.close();
  }
}

function dispatch(config: BuildConfig, options: BuildOptions): Promise<Artifact[]> {
  switch (config.kind) {
    case 'c':
      return buildC(config, options);
    case 'cargo':
      return buildCargo(config, options);
    case 'go':
      return buildGo(config, options);
    case 'zig':
      return buildZigProject(config, options);
    case 'prebuilt':
      return buildPrebuilt(config, options);
    case 'agent':
      return buildAgent(config, options);
  }
}

export type * from './types.js';
export { BuildError, formatCommand, runProcess } from './exec.js';
export { resolveZig, fetchZigToToolCache, defaultZigCacheDir, zigCacheEnv, PINNED_ZIG_VERSION, type ZigToolchain } from './zig.js';
export { artifactForArch, sha256File, describeArtifact } from './artifact.js';
export { agentTargetOf, archOfTarget, rustTargetOf, parseZigTarget } from './targets.js';
export { AGENT_BINARY_NAME, packageRoot, agentSourceDir } from './agent.js';
export { buildC, cCommand } from './c.js';
export { buildCargo, cargoCommand } from './cargo.js';
export { buildGo, goCommand } from './go.js';
export { buildZigProject, zigBuildCommand } from './zig-project.js';
export { buildPrebuilt, verifySha256 } from './prebuilt.js';
export { renderZigCcWrapper } from './linker-wrapper.js';
export { inspectElf, parseElf, type ElfInfo } from './elf.js';
