// Shared by the build and agent integration tests: the persistent zig cache, a once-per-process
// agent build, free ports, and a runner for agent processes that parses their JSON lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { buildArtifacts, packageRoot, type Artifact } from '../../../src/build/index.js';

export const REPO_ROOT = packageRoot();
/** Persistent across test runs so zig's compiled libc is reused (first build ~15 s, then ~1 s). */
export const ZIG_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'vps-test-zig');

let agentBuild: Promise<Artifact[]> | undefined;

/** Builds the agent for both arches once per test process, into outDir. */
export function buildAgentOnce(outDir: string): Promise<Artifact[]> {
  agentBuild ??= buildArtifacts({ kind: 'agent', arches: ['x86_64', 'aarch64'] }, { cwd: REPO_ROOT, outDir, zigCacheDir: ZIG_CACHE });
  return agentBuild;
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '0.0.0.0', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

export interface AgentRun {
  code: number | null;
  events: Array<Record<string, unknown>>;
  /** stdout lines that were not JSON: must stay empty. */
  malformed: string[];
  stderr: string;
  ms: number;
}

export interface RunningAgent {
  child: ChildProcess;
  done: Promise<AgentRun>;
  /** Output so far. */
  output: { stdout: string; stderr: string };
}

const running = new Set<ChildProcess>();

/** Starts the agent binary (optionally under a prefix such as ip netns exec) and collects its events. */
export function startAgent(binary: string, args: string[], prefix: string[] = []): RunningAgent {
  const argv = [...prefix, binary, ...args];
  const started = Date.now();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output.stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output.stderr += c));
  const done = new Promise<AgentRun>((resolve) => {
    child.on('close', (code) => {
      running.delete(child);
      const events: Array<Record<string, unknown>> = [];
      const malformed: string[] = [];
      for (const line of output.stdout.split('\n').filter(Boolean)) {
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          malformed.push(line);
        }
      }
      resolve({ code, events, malformed, stderr: output.stderr, ms: Date.now() - started });
    });
  });
  return { child, done, output };
}

/** Stops a long-running agent (serve) with SIGTERM and returns its output. */
export async function stopAgent(agent: RunningAgent): Promise<AgentRun> {
  agent.child.kill('SIGTERM');
  return agent.done;
}

/** Kills whatever a failed test left running. */
export function killAllAgents(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Waits until a serve process has printed its listening line. */
export async function waitListening(agent: RunningAgent, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!agent.output.stderr.includes('listening')) {
    if (Date.now() > deadline) throw new Error(`agent did not start listening within ${timeoutMs} ms: ${agent.output.stderr}`);
    if (agent.child.exitCode !== null) throw new Error(`agent exited early (${agent.child.exitCode}): ${agent.output.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
