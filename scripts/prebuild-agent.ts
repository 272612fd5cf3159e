// Rebuilds the checked-in reference agent binaries (agent/prebuilt/) with the pinned zig and
// records their content keys and sha256 in agent/prebuilt/manifest.json. Run after changing
// agent/src: `npx tsx scripts/prebuild-agent.ts`. test/integration/build/agent-prebuilt.test.ts
// rebuilds them from a copy of the sources and compares the bytes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BINARY_NAME, agentCConfig, agentPrebuiltDir, agentSourceDir } from '../src/build/agent.js';
import { agentContentKey, keyedArgs, PREBUILT_MANIFEST, prebuiltBinaryPath, readAgentSources, storeCachedBuild, type PrebuiltManifest } from '../src/build/agent-cache.js';
import { buildC } from '../src/build/c.js';
import { PINNED_ZIG_VERSION, resolveZig } from '../src/build/zig.js';

const zig = await resolveZig();
if (zig.version !== PINNED_ZIG_VERSION) throw new Error(`zig ${zig.version} at ${zig.path}: the prebuilt agent is built with the pinned zig ${PINNED_ZIG_VERSION}`);
const sourceDir = agentSourceDir();
const prebuiltDir = agentPrebuiltDir();
const config = agentCConfig(['x86_64', 'aarch64'], sourceDir);
const sources = await readAgentSources(sourceDir);
const out = await mkdtemp(join(tmpdir(), 'vt-prebuild-'));
const manifest: PrebuiltManifest = { zig: zig.version, targets: {} };
try {
  // zig itself, never a cached build: this is the reference the others are compared with.
  for (const artifact of await buildC(config, { cwd: sourceDir, outDir: out, zigPath: zig.path, onProgress: (l) => console.error(l) })) {
    const key = agentContentKey({ sources, args: keyedArgs(config, artifact.target, sources), target: artifact.target, zigVersion: zig.version });
    await storeCachedBuild(artifact.path, prebuiltBinaryPath(prebuiltDir, artifact.target, AGENT_BINARY_NAME));
    manifest.targets[artifact.target] = { key, sha256: artifact.sha256, size: artifact.size };
    console.error(`${artifact.target}: ${artifact.size} bytes, sha256 ${artifact.sha256}, key ${key}`);
  }
  await writeFile(join(prebuiltDir, PREBUILT_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
} finally {
  await rm(out, { recursive: true, force: true });
}
