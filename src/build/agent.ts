// Kind 'agent': the reference probe agent shipped with vps-test (agent/ at the package root),
// built by zig as a static musl binary per node arch. zig runs only when no binary with the
// same content key exists: neither the checked-in prebuilt one nor an earlier build in the zig
// cache (agent-cache.ts). Users' own builds (kind c, go, cargo, zig) are never keyed this way.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Arch } from '../config/model.js';
import { placeArtifact } from './artifact.js';
import { agentContentKey, cachedBuildPath, findPrebuilt, keyedArgs, readAgentSources, readPrebuiltManifest, storeCachedBuild } from './agent-cache.js';
import { buildC } from './c.js';
import { BuildError } from './exec.js';
import { agentTargetOf } from './targets.js';
import { defaultZigCacheDir, resolveZig, type ZigToolchain } from './zig.js';
import type { AgentBuildConfig, Artifact, BuildOptions, CBuildConfig } from './types.js';

export { packageRoot };

export const AGENT_BINARY_NAME = 'vps-agent';

export function agentSourceDir(root: string = packageRoot()): string {
  return join(root, 'agent', 'src');
}

export function agentPrebuiltDir(root: string = packageRoot()): string {
  return join(root, 'agent', 'prebuilt');
}

/** The C build of the agent: all warnings on (it must compile clean), stripped. Pure. */
export function agentCConfig(arches: Arch[], sourceDir: string): CBuildConfig {
  return {
    kind: 'c',
    sources: [sourceDir],
    targets: [...new Set(arches)].map(agentTargetOf),
    name: AGENT_BINARY_NAME,
    cflags: ['-std=c11', '-Wall', '-Wextra'],
    strip: true,
  };
}

export interface AgentSourcesAt {
  sourceDir: string;
  /** agent/prebuilt; undefined: never use a prebuilt binary (always zig or the zig cache). */
  prebuiltDir?: string;
}

export async function buildAgent(config: AgentBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  return buildAgentFrom({ sourceDir: agentSourceDir(), prebuiltDir: agentPrebuiltDir() }, config, options);
}

/** buildAgent with the directories given (tests point them at copies). */
export async function buildAgentFrom(at: AgentSourcesAt, config: AgentBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  if (!existsSync(at.sourceDir)) throw new BuildError(`reference agent sources not found at ${at.sourceDir}`);
  const c = agentCConfig(config.arches ?? ['x86_64'], at.sourceDir);
  const name = AGENT_BINARY_NAME;
  const sources = await readAgentSources(at.sourceDir);
  const manifest = at.prebuiltDir ? await readPrebuiltManifest(at.prebuiltDir) : undefined;
  const cacheDir = options.zigCacheDir ?? defaultZigCacheDir(options.env);
  let zig: ZigToolchain | undefined;
  const artifacts: Artifact[] = [];
  for (const target of c.targets) {
    const args = keyedArgs(c, target, sources);
    if (manifest && at.prebuiltDir) {
      const key = agentContentKey({ sources, args, target, zigVersion: manifest.zig });
      const prebuilt = await findPrebuilt(at.prebuiltDir, manifest, target, key, name);
      if (prebuilt) {
        options.onProgress?.(`agent: ${target} unchanged (content key ${key.slice(0, 12)}): the checked prebuilt binary, built with zig ${manifest.zig}`);
        artifacts.push(await placeArtifact(prebuilt, options.outDir, target, name));
        continue;
      }
    }
    zig ??= await resolveZig({ ...(options.zigPath && { zigPath: options.zigPath }), ...(options.env && { env: options.env }), ...(options.run && { run: options.run }), ...(options.onProgress && { log: options.onProgress }) });
    const key = agentContentKey({ sources, args, target, zigVersion: zig.version });
    const cached = cachedBuildPath(cacheDir, key, target, name);
    if (existsSync(cached)) {
      options.onProgress?.(`agent: ${target} unchanged (content key ${key.slice(0, 12)}): the build in ${cached}, zig not run`);
      artifacts.push(await placeArtifact(cached, options.outDir, target, name));
      continue;
    }
    const [built] = await buildC({ ...c, targets: [target] }, { ...options, zigPath: zig.path, zigCacheDir: cacheDir });
    if (!built) throw new BuildError(`zig cc for ${target} produced no artifact`);
    await storeCachedBuild(built.path, cached);
    artifacts.push(built);
  }
  return artifacts;
}
