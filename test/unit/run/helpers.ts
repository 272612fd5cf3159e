// A fake provider and a small prebuilt config, so the pipeline's stages run without root: the
// fleet points at a closed local port (SSH fails at once, like a node that is gone).
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type LoadedConfig } from '../../../src/config/load.js';
import { buildPlan } from '../../../src/plan/plan.js';
import type { Plan } from '../../../src/plan/types.js';
import type { Fleet, Provider, RunContext } from '../../../src/providers/types.js';
import type { Progress } from '../../../src/run/progress.js';
import { deriveClientKey } from '../../../src/run/ci-key.js';

export function workDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A project whose subject is a prebuilt copy of /bin/true (a real ELF of this machine's arch). */
export function prebuiltProject(dir: string): { loaded: LoadedConfig; plan: Plan } {
  copyFileSync('/bin/true', join(dir, 'subject'));
  const sha = createHash('sha256').update(readFileSync(join(dir, 'subject'))).digest('hex');
  const text = `project: fake
build: { kind: prebuilt, prebuilt: { path: subject, sha256: ${sha} } }
fleet:
  nodes:
    - { name: boot, role: bootstrap }
    - { name: a, nat: full-cone }
subject: { driver: command, connect: { run: "{bin} {peer.ip}" } }
tests:
  connectivity: { trials: 2 }
`;
  writeFileSync(join(dir, '.vps-test.yml'), text);
  const config = parseConfig(text, '.vps-test.yml');
  return { loaded: { config, file: '.vps-test.yml', project: 'fake' }, plan: buildPlan(config, { project: 'fake', focus: 'connectivity', criteria: 'threshold', proof: 'logs' }) };
}

const HOST_KEY = deriveClientKey('host key of a node that is gone', 'x').publicKey;

export function deadFleet(runId: string, keyDir: string): Fleet {
  const clientKeyPath = join(keyDir, 'client');
  writeFileSync(clientKeyPath, deriveClientKey('client key for the unit tests', runId).privateKey, { mode: 0o600 });
  const node = (name: string, role: 'bootstrap' | 'peer') => ({
    name,
    role,
    nat: 'none' as const,
    arch: 'x86_64' as const,
    publicIp: '127.0.0.1',
    privateIp: '127.0.0.1',
    ssh: { host: '127.0.0.1', port: 1, user: 'nobody', hostKey: HOST_KEY },
    workdir: `/tmp/none/${name}`,
    execPrefix: [],
    resources: [`fake-${name}`],
    systemd: false,
  });
  return { runId, provider: 'fake', nodes: [node('boot', 'bootstrap'), node('a', 'peer')], clientKeyPath };
}

export class FakeProvider implements Provider {
  readonly calls: string[] = [];
  constructor(
    private readonly fleet: (run: RunContext) => Fleet,
    private readonly hooks: { provision?: (run: RunContext) => Promise<void> } = {},
  ) {}
  async check(): Promise<void> {
    this.calls.push('check');
  }
  async provision(_plan: Plan, run: RunContext): Promise<Fleet> {
    this.calls.push('provision');
    await this.hooks.provision?.(run);
    return this.fleet(run);
  }
  async destroy(): Promise<void> {
    this.calls.push('destroy');
  }
  async list() {
    return [];
  }
}

export function quietProgress(): Progress & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    stage: (n) => lines.push(`${n} ...`),
    line: (t) => lines.push(`  ${t}`),
    done: (n) => lines.push(`${n} done`),
    failed: (n, _ms, e) => lines.push(`${n} FAILED: ${e}`),
  };
}
