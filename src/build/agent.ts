// Kind 'agent': the reference probe agent shipped with vps-test (agent/ at the package root),
// built by zig as a static musl binary per node arch.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Arch } from '../config/model.js';
import { buildC } from './c.js';
import { BuildError } from './exec.js';
import { agentTargetOf } from './targets.js';
import type { AgentBuildConfig, Artifact, BuildOptions, CBuildConfig } from './types.js';

export const AGENT_BINARY_NAME = 'vps-agent';

/** Walks up from this module to the directory whose package.json is named vps-test. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vps-test') return dir;
      } catch {
        // unreadable package.json: keep walking
      }
    }
    if (dirname(dir) === dir) throw new BuildError(`cannot find the vps-test package root above ${from}`);
  }
}

export function agentSourceDir(root: string = packageRoot()): string {
  return join(root, 'agent', 'src');
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

export async function buildAgent(config: AgentBuildConfig, options: BuildOptions): Promise<Artifact[]> {
  const sourceDir = agentSourceDir();
  if (!existsSync(sourceDir)) throw new BuildError(`reference agent sources not found at ${sourceDir}`);
  return buildC(agentCConfig(config.arches ?? ['x86_64'], sourceDir), options);
}
