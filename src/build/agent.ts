// Kind 'agent': the reference probe agent shipped with vps-test (agent/ at the package root),
// built by zig as a static musl binary per node arch.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { Arch } from '../config/model.js';
import { buildC } from './c.js';
import { BuildError } from './exec.js';
import { agentTargetOf } from './targets.js';
import type { AgentBuildConfig, Artifact, BuildOptions, CBuildConfig } from './types.js';

export { packageRoot };

export const AGENT_BINARY_NAME = 'vps-agent';

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
