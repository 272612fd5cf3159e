// Helpers for the lab's integration tests: run things inside namespaces, read probe output,
// and check that a run left nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { systemExec, type ExecResult } from '../../../src/lab/exec.js';
import { controllerVeth, runIdOfNamespace } from '../../../src/lab/names.js';
import { listNamespaces } from '../../../src/lab/namespaces.js';
import { listSubnetClaims } from '../../../src/lab/subnet-claim.js';

export const isRoot = process.getuid?.() === 0;
export const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'net-probe.mjs');
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function uniqueRunId(tag: string): string {
  return `${tag}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function inNs(ns: string, argv: string[], allowFailure = false): Promise<ExecResult> {
  return systemExec(['ip', 'netns', 'exec', ns, ...argv], { allowFailure, timeoutMs: 60_000 });
}

export interface ProbeEvent {
  event: string;
  [key: string]: unknown;
}

/** A process inside a namespace whose stdout is JSON lines. */
export class Probe {
  readonly events: ProbeEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(ns: string, argv: string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim()) this.events.push(JSON.parse(line) as ProbeEvent);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  static node(ns: string, ...args: (string | number)[]): Probe {
    return new Probe(ns, [process.execPath, PROBE, ...args.map(String)]);
  }

  async waitFor(pred: (e: ProbeEvent) => boolean, timeoutMs = 5000): Promise<ProbeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`probe: no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Runs a probe to completion and returns its events. */
export async function runProbe(ns: string, ...args: (string | number)[]): Promise<ProbeEvent[]> {
  const probe = Probe.node(ns, ...args);
  await probe.exited;
  return probe.events;
}

async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ').trim()}`);
  }
  return found;
}

/** Nothing of the run remains: namespaces, controller veth, processes, subnet claim. */
export async function expectNoLeaks(runId: string, needles: string[]): Promise<void> {
  const namespaces = (await listNamespaces(systemExec)).filter((ns) => runIdOfNamespace(ns) === runId || ns.startsWith(`vt${runId}-`));
  expect(namespaces, 'namespaces left').toEqual([]);
  const veth = await systemExec(['ip', 'link', 'show', 'dev', controllerVeth(runId)], { allowFailure: true });
  expect(veth.code, `controller veth ${controllerVeth(runId)} left`).not.toBe(0);
  for (const needle of needles) expect(await processesMentioning(needle), `processes mentioning ${needle}`).toEqual([]);
  expect((await listSubnetClaims()).filter((c) => c.runId === runId), 'subnet claims left').toEqual([]);
}

/** Classification lines of turnutils_natdiscovery ("NAT with Endpoint Independent Mapping!"). */
export function parseNatDiscovery(output: string): { mapping?: string; filtering?: string } {
  const mapping = /NAT with (.+?) Mapping!/.exec(output)?.[1];
  const filtering = /NAT with (.+?) Filtering!/.exec(output)?.[1];
  return { ...(mapping ? { mapping } : {}), ...(filtering ? { filtering } : {}) };
}
