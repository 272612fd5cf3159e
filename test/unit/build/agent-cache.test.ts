// The agent build runs zig only when its content key is new: sources (.c and .h), zig cc
// arguments, target and zig version. A runner stands in for zig here (counting cc calls); the
// real zig and the checked-in prebuilt binary are compared in test/integration/build.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { agentCConfig, agentSourceDir, buildAgentFrom } from '../../../src/build/agent.js';
import { agentContentKey, keyedArgs, prebuiltBinaryPath, readAgentSources, type PrebuiltManifest } from '../../../src/build/agent-cache.js';
import type { CommandRunner, CommandSpec } from '../../../src/build/types.js';

const root = mkdtempSync(join(tmpdir(), 'vt-agent-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let work = '';
let calls: CommandSpec[] = [];
beforeEach(() => {
  work = mkdtempSync(join(root, 'case-'));
  cpSync(agentSourceDir(), join(work, 'src'), { recursive: true });
  calls = [];
});

/** zig stand-in: `version` answers `version`; `cc ... -o OUT` writes a file naming the call. */
function fakeZig(version: string): CommandRunner {
  return async (spec) => {
    calls.push(spec);
    if (spec.args[0] === 'version') return { code: 0, stdout: `${version}\n`, stderr: '' };
    const out = spec.args[spec.args.indexOf('-o') + 1] as string;
    writeFileSync(out, `binary ${calls.length} ${spec.args.find((a) => a.includes('linux-musl'))}`);
    return { code: 0, stdout: '', stderr: '' };
  };
}
const ccCalls = () => calls.filter((c) => c.args[0] === 'cc').length;

let zigPaths = 0;
function build(version: string, arches: Array<'x86_64' | 'aarch64'> = ['x86_64'], prebuiltDir?: string) {
  return buildAgentFrom({ sourceDir: join(work, 'src'), ...(prebuiltDir && { prebuiltDir }) }, { kind: 'agent', arches }, {
    cwd: work,
    outDir: join(work, `out-${++zigPaths}`),
    zigCacheDir: join(work, 'zig-cache'),
    zigPath: `/fake/zig-${version}`, // one path per version: zig versions are remembered per path
    run: fakeZig(version),
  });
}

describe('agent build content key', () => {
  it('builds once, then reuses the build while nothing changed', async () => {
    const [first] = await build('0.11.0');
    expect(ccCalls()).toBe(1);
    const [second] = await build('0.11.0');
    expect(ccCalls()).toBe(1);
    expect(second!.sha256).toBe(first!.sha256);
    expect(readFileSync(second!.path, 'utf8')).toBe(readFileSync(first!.path, 'utf8'));
  });

  it('rebuilds when a header changes, when zig changes, and per target', async () => {
    await build('0.11.0');
    writeFileSync(join(work, 'src', 'agent.h'), readFileSync(join(work, 'src', 'agent.h'), 'utf8') + '\n/* changed */\n');
    await build('0.11.0');
    expect(ccCalls()).toBe(2);
    await build('0.11.1');
    expect(ccCalls()).toBe(3);
    await build('0.11.1', ['x86_64', 'aarch64']);
    expect(ccCalls()).toBe(4); // only aarch64 is new
  });

  it('keys the zig cc arguments, not where the sources are', async () => {
    const sources = await readAgentSources(join(work, 'src'));
    const config = agentCConfig(['x86_64'], join(work, 'src'));
    const elsewhere = agentCConfig(['x86_64'], '/somewhere/else');
    const key = (c: typeof config, flags?: string[]) => agentContentKey({ sources, args: keyedArgs({ ...c, ...(flags && { cflags: flags }) }, 'x86_64-linux-musl', sources), target: 'x86_64-linux-musl', zigVersion: '0.11.0' });
    expect(key(elsewhere)).toBe(key(config));
    expect(key(config, ['-std=c11'])).not.toBe(key(config));
  });
});

describe('checked prebuilt agent', () => {
  async function writePrebuilt(bytes: string, keyFor = '0.11.0'): Promise<string> {
    const dir = join(work, 'prebuilt');
    const target = 'x86_64-linux-musl';
    const sources = await readAgentSources(join(work, 'src'));
    const key = agentContentKey({ sources, args: keyedArgs(agentCConfig(['x86_64'], join(work, 'src')), target, sources), target, zigVersion: keyFor });
    const bin = prebuiltBinaryPath(dir, target, 'vps-agent');
    mkdirSync(join(bin, '..'), { recursive: true });
    writeFileSync(bin, bytes);
    const manifest: PrebuiltManifest = { zig: '0.11.0', targets: { [target]: { key, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length } } };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  }

  it('is used when its key matches, without running zig at all', async () => {
    const dir = await writePrebuilt('the prebuilt agent');
    const [a] = await build('0.11.0', ['x86_64'], dir);
    expect(calls).toEqual([]);
    expect(readFileSync(a!.path, 'utf8')).toBe('the prebuilt agent');
  });

  it('is not used once the sources differ from what it was built from', async () => {
    const dir = await writePrebuilt('the prebuilt agent');
    writeFileSync(join(work, 'src', 'probe.c'), readFileSync(join(work, 'src', 'probe.c'), 'utf8') + '\n');
    const [a] = await build('0.11.0', ['x86_64'], dir);
    expect(ccCalls()).toBe(1);
    expect(readFileSync(a!.path, 'utf8')).not.toBe('the prebuilt agent');
  });

  it('refuses a prebuilt binary whose bytes are not the recorded ones, naming the file', async () => {
    const dir = await writePrebuilt('the prebuilt agent');
    writeFileSync(prebuiltBinaryPath(dir, 'x86_64-linux-musl', 'vps-agent'), 'a swapped binary');
    await expect(build('0.11.0', ['x86_64'], dir)).rejects.toThrow(/prebuilt agent .*x86_64-linux-musl\/vps-agent has sha256 .* the manifest says/);
  });
});

describe('agent/prebuilt/manifest.json', () => {
  it('names the content key of today\'s sources for every target (else: npx tsx scripts/prebuild-agent.ts)', async () => {
    const { agentPrebuiltDir } = await import('../../../src/build/agent.js');
    const { readPrebuiltManifest } = await import('../../../src/build/agent-cache.js');
    const manifest = await readPrebuiltManifest(agentPrebuiltDir());
    expect(manifest).toBeDefined();
    const sources = await readAgentSources(agentSourceDir());
    const config = agentCConfig(['x86_64', 'aarch64'], agentSourceDir());
    for (const target of config.targets) {
      const key = agentContentKey({ sources, args: keyedArgs(config, target, sources), target, zigVersion: manifest!.zig });
      expect(manifest!.targets[target]?.key, `agent/prebuilt for ${target} is stale: run npx tsx scripts/prebuild-agent.ts`).toBe(key);
    }
  });
});
