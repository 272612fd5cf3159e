// A fake machine room for the scenario engine: every exec is recorded and answered by a handler.
import type { Fleet, FleetNode } from '../../../src/providers/types.js';
import type { ExecResult } from '../../../src/ssh/index.js';
import type { ScenarioIO } from '../../../src/suites/scenario/index.js';
import type { ServiceSpec } from '../../../src/deploy/index.js';
import { scenarioSchema, type Scenario } from '../../../src/config/scenario.js';

export interface ExecCall {
  node: string;
  command: string;
  asNode: boolean;
}

export type Reply = Partial<ExecResult> | undefined;

export function node(name: string, publicIp: string, privateIp = publicIp, role: FleetNode['role'] = 'peer'): FleetNode {
  return {
    name,
    role,
    nat: publicIp === privateIp ? 'none' : 'full-cone',
    arch: 'x86_64',
    publicIp,
    privateIp,
    ssh: { host: publicIp, port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' },
    workdir: `/w/${name}`,
    execPrefix: [],
    resources: [],
    systemd: false,
  };
}

export function fleetOf(...nodes: FleetNode[]): Fleet {
  return { runId: 'r1', provider: 'local', nodes, clientKeyPath: '/k' };
}

export class FakeIO implements ScenarioIO {
  calls: ExecCall[] = [];
  started: { node: string; spec: ServiceSpec }[] = [];
  stopped: { node: string; name: string }[] = [];
  restarted: { node: string; name: string }[] = [];
  running = new Set<string>();
  slept: number[] = [];
  fetched: string[] = [];
  clock = 0;
  startError?: string;

  constructor(private readonly handler: (call: ExecCall) => Reply = () => undefined) {}

  async exec(n: FleetNode, command: string, o: { asNode: boolean; timeoutMs: number }): Promise<ExecResult> {
    const call = { node: n.name, command, asNode: o.asNode };
    this.calls.push(call);
    this.clock += 5;
    const r = this.handler(call) ?? {};
    return { code: 0, stdout: '', stderr: '', timedOut: false, durationMs: 5, ...r };
  }
  async start(n: FleetNode, spec: ServiceSpec): Promise<void> {
    this.started.push({ node: n.name, spec });
    if (this.startError) throw new Error(this.startError);
    this.running.add(`${n.name}/${spec.name}`);
  }
  async stop(n: FleetNode, name: string): Promise<boolean> {
    this.stopped.push({ node: n.name, name });
    return this.running.delete(`${n.name}/${name}`);
  }
  async restart(n: FleetNode, name: string): Promise<void> {
    this.restarted.push({ node: n.name, name });
    this.running.add(`${n.name}/${name}`);
  }
  async fetch(url: string): Promise<{ status: number; body: string }> {
    this.fetched.push(url);
    return { status: 200, body: '{"ok":true,"peers":[{"id":"x"}]}' };
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.clock += ms;
  }
  now(): number {
    return this.clock;
  }
  /** Commands the scenario ran as nodes (not the machinery: marks, nft). */
  nodeCommands(): ExecCall[] {
    return this.calls.filter((c) => c.asNode);
  }
}

export function scenario(steps: unknown[]): Scenario {
  return scenarioSchema.parse({ steps });
}
