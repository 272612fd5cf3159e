// Where the benchmark's nodes come from. Default: a real lab (network namespaces, NAT routers,
// one sshd per machine, reached over the lab's internet bridge). For comparison: sshds on
// loopback, optionally behind a relay that adds round-trip time.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLab, destroyLab, type LabNodeSpec } from '../../src/lab/index.js';
import type { FleetNode } from '../../src/providers/types.js';
import { startSshds } from '../../test/helpers/sshd.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface BenchFleet {
  description: string;
  nodes: FleetNode[];
  clientKeyPath: string;
  /** known_hosts pinning every node's host key (for the OpenSSH baseline). */
  knownHostsPath: string;
  /** What the reaper must remove should the benchmark die before cleanup() (see reaper.ts). */
  leftovers: string[];
  cleanup(): Promise<void>;
}

/** Half public, half behind the four NAT kinds; a NAT'd machine's sshd runs on its router. */
export function labNodes(count: number): LabNodeSpec[] {
  const nats = ['none', 'full-cone', 'none', 'address-restricted', 'none', 'port-restricted', 'none', 'symmetric'] as const;
  return Array.from({ length: count }, (_, i) => {
    const nat = nats[i % nats.length]!;
    return { name: `${nat === 'none' ? 'pub' : nat.replace(/-.*/, '')}${i}`, nat, role: i === 0 ? 'bootstrap' : 'peer' };
  });
}

export function benchRunId(): string {
  return `bench${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * A lab of `count` machines. `signal` aborts creation (Ctrl-C): createLab then removes what it
 * made itself. The caller destroys the lab with cleanup() (or destroyLab(runId) from a signal handler).
 */
export async function labFleet(runId: string, count: number, labRoot: string, signal: AbortSignal): Promise<BenchFleet> {
  const nodes = labNodes(count);
  const lab = await createLab({ runId, nodes, labRoot }, { signal, handleSignals: false });
  const natted = nodes.filter((n) => n.nat !== 'none').map((n) => n.nat);
  return {
    description:
      `a lab of ${count} machines on this host (run ${runId}): ${count - natted.length} public, ${natted.length} behind NATs ` +
      `(${natted.join(', ')}; their sshd on the router), each with its own sshd in its own network namespace, ` +
      `reached over the lab's internet bridge (veth, no added delay); ${os.cpus().length} CPUs shared by nodes and controller`,
    nodes: lab.fleet.nodes,
    clientKeyPath: lab.fleet.clientKeyPath,
    knownHostsPath: lab.knownHostsPath,
    leftovers: [`lab ${runId}`],
    cleanup: async () => {
      await destroyLab(runId);
    },
  };
}

export async function loopbackFleet(count: number): Promise<BenchFleet> {
  const f = await startSshds(count, { prefix: 'b' });
  return {
    description: `${count} OpenSSH sshd on 127.0.0.1 (one machine, ${os.cpus().length} CPUs: nodes and controller share them)`,
    nodes: f.nodes,
    clientKeyPath: f.clientKeyPath,
    knownHostsPath: f.knownHostsPath,
    leftovers: [...f.servers.map((s) => `proc ${s.pid} ${s.configPath}`), `rm ${f.dir}`],
    cleanup: f.cleanup,
  };
}

/** The same nodes behind a relay (own process) that delays each direction by rtt/2. */
export async function delayedFleet(base: BenchFleet, rttMs: number, dir: string): Promise<BenchFleet> {
  const relay = spawn(process.execPath, [...process.execArgv, path.join(HERE, 'delay-proxy.ts'), String(rttMs / 2), ...base.nodes.map((n) => String(n.ssh.port))], {
    stdio: ['pipe', 'pipe', 'inherit'], // the relay ends when its stdin closes: with us
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: relay.stdout! }).once('line', resolve);
    relay.once('exit', (code) => reject(new Error(`delay relay exited ${code}`)));
  });
  const ports = JSON.parse(line) as number[];
  const nodes = base.nodes.map((n, i) => ({ ...n, ssh: { ...n.ssh, port: ports[i]! } }));
  const knownHostsPath = path.join(dir, 'known_hosts.delayed');
  await writeFile(knownHostsPath, nodes.map((n) => `[127.0.0.1]:${n.ssh.port} ${n.ssh.hostKey}`).join('\n') + '\n');
  return {
    description: `the same loopback sshds behind a userspace relay adding ${rttMs} ms round-trip time (no bandwidth limit)`,
    nodes,
    clientKeyPath: base.clientKeyPath,
    knownHostsPath,
    leftovers: [],
    cleanup: async () => {
      relay.kill();
    },
  };
}
