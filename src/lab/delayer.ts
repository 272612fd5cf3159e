// The lab's packet delayer (agent/delayer/nfq-delayer.c): compiled once per machine and source
// version into a cache, started inside the internet router's namespace, ready when it says so.
// It dies with the lab: destroyLab kills every process of the run's namespaces.
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findNpmZig, findOnPath } from '../build/zig.js';
import { packageRoot } from '../package-root.js';
import type { Readable } from 'node:stream';
import type { Exec } from './exec.js';
import { inetNamespace } from './names.js';
import { delayerArgs } from './recipes/internet.js';
import { delayerImpairment, type Topology } from './topology.js';
import type { Internet } from '../config/model.js';
import { resolveCommand } from './preflight.js';

export const DELAYER_SOURCE = path.join('agent', 'delayer', 'nfq-delayer.c');

export class DelayUnsupportedError extends Error {
  override name = 'DelayUnsupportedError';
}

function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vps-test', 'lab');
}

/** The compiler to use: the system's cc, else the zig vps-test ships (`zig cc`). */
function compiler(): string[] | undefined {
  const cc = findOnPath('cc') ?? findOnPath('gcc');
  if (cc) return [cc];
  const zig = findOnPath('zig') ?? findNpmZig();
  return zig ? [zig, 'cc'] : undefined;
}

/** Path of the compiled delayer, building it first when this source version has not been built here. */
export async function ensureDelayer(exec: Exec): Promise<string> {
  const source = path.join(packageRoot(), DELAYER_SOURCE);
  const text = await readFile(source, 'utf8').catch(() => {
    throw new DelayUnsupportedError(`the lab's packet delayer source is missing (${source})`);
  });
  const binary = path.join(cacheDir(), `nfq-delayer-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  const cc = compiler();
  if (!cc) throw new DelayUnsupportedError('delay on the lab internet needs a C compiler for its packet delayer: no cc, gcc or zig found');
  await mkdir(cacheDir(), { recursive: true });
  const tmp = `${binary}.${process.pid}.tmp`;
  await exec([...cc, '-O2', '-o', tmp, source], { timeoutMs: 120_000 });
  await rename(tmp, binary);
  return binary;
}

/**
 * Starts the delayer in `namespace` and resolves once it has bound its queue. A delayer that
 * cannot bind (no nfnetlink_queue) fails here with its own message.
 */
export function startDelayer(binary: string, namespace: string, args: string[], logPath: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = openSync(logPath, 'a');
    const child = spawn('ip', ['netns', 'exec', namespace, binary, ...args], { detached: true, stdio: ['ignore', 'pipe', log] });
    closeSync(log);
    const stdout = child.stdout as Readable;
    let out = '';
    const finish = (err?: Error) => {
      clearTimeout(timer);
      stdout.removeAllListeners();
      child.removeAllListeners('exit');
      stdout.destroy();
      child.unref();
      if (err) reject(err);
      else resolve();
    };
    const failed = async (why: string) => {
      const tail = (await readFile(logPath, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      finish(new DelayUnsupportedError(`the lab's packet delayer ${why}${tail ? `: ${tail}` : ''}`));
    };
    const timer = setTimeout(() => void failed(`did not bind its queue within ${timeoutMs} ms`), timeoutMs);
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('ready\n')) finish();
    });
    child.on('exit', (code) => void failed(`exited (status ${code})`));
  });
}

/**
 * Where a successful probe is remembered: per boot (a kernel's abilities do not change while it
 * runs), in /run, which a reboot empties. Saves every later lab the probe's three processes.
 */
export const DELAY_PROBE_DIR = '/run/vps-test';
async function probeMark(dir: string): Promise<string | undefined> {
  const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  return /^[0-9a-f-]{36}$/.test(boot) ? path.join(dir, `nfqueue-ok-${boot}`) : undefined;
}

/**
 * Can this machine delay the lab's packets? iptables-nft present and the kernel's NFQUEUE
 * target usable, tried in a scratch namespace named like a lab (so `vps-test down` finds it if
 * we die meanwhile), once per boot. Throws naming what is missing; nothing of a lab exists yet.
 */
export async function assertDelayPossible(exec: Exec, options: { probeDir?: string } = {}): Promise<void> {
  if (!(await resolveCommand('iptables-nft'))) {
    throw new DelayUnsupportedError('delay on the lab internet (fleet.internet rtt) needs iptables-nft to queue packets to its delayer: install iptables');
  }
  const mark = options.probeDir === '' ? undefined : await probeMark(options.probeDir ?? DELAY_PROBE_DIR);
  if (mark && existsSync(mark)) return;
  const ns = inetNamespace(`nfqprobe${randomBytes(4).toString('hex')}`);
  await exec(['ip', 'netns', 'add', ns]);
  try {
    const result = await exec(['ip', 'netns', 'exec', ns, 'iptables-nft', '-w', '-t', 'mangle', '-A', 'FORWARD', '-j', 'NFQUEUE', '--queue-num', '0'], {
      allowFailure: true,
    });
    if (result.code !== 0) {
      throw new DelayUnsupportedError(
        `delay on the lab internet (fleet.internet rtt) needs the kernel's NFQUEUE target (CONFIG_NETFILTER_XT_TARGET_NFQUEUE, CONFIG_NETFILTER_NETLINK_QUEUE): ${result.stderr.trim().split('\n')[0] ?? ''}`,
      );
    }
  } finally {
    await exec(['ip', 'netns', 'del', ns], { allowFailure: true });
  }
  if (mark) {
    await mkdir(path.dirname(mark), { recursive: true }).catch(() => undefined);
    await writeFile(mark, '').catch(() => undefined); // only a cache: a read-only /run probes again next time
  }
}

/** The delayer's arguments for a lab: the internet's round trips and every machine's own delay (no netem). */
export function labDelayerArgs(t: Topology, netem: boolean): string[] {
  const machines = t.machines.map((m) => {
    const own = delayerImpairment(m, netem);
    return {
      publicIps: m.publicIps,
      ...(m.region !== undefined ? { region: m.region } : {}),
      ...(own?.delayMs ? { extraDelayMs: own.delayMs } : {}),
      ...(own?.jitterMs ? { extraJitterMs: own.jitterMs } : {}),
    };
  });
  return delayerArgs(t.internet, machines);
}

/** One progress line: hops, round trips and jitter, and whether the delayer applies them. */
export function describeInternet(internet: Internet, delayed: boolean): string {
  if (!delayed) return `internet: ${internet.hops} hops, no added delay`;
  const jitter = (ms: number | undefined) => (ms ? ` +- ${ms} ms` : '');
  const regions = internet.regions.map((r) => `${r.between.join('-')} ${r.rttMs} ms${jitter(r.jitterMs)}`).join(', ');
  return `internet: ${internet.hops} hops, round trip ${internet.rttMs} ms${jitter(internet.jitterMs)}${regions ? ` (${regions})` : ''}, delayed by the lab's NFQUEUE delayer`;
}
