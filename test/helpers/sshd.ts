// Real sshd instances on 127.0.0.1 for tests and benchmarks: generated ed25519 host keys and a
// client key, key auth only. Each node gets its own workdir. cleanup() kills exactly these sshd
// processes (listeners and their session children) and removes the temp dir.
import { renderSshdConfig } from '../../src/lab/sshd.js';
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Fleet, FleetNode } from '../../src/providers/types.js';

const run = promisify(execFile);

export interface SshdServer {
  node: string;
  port: number;
  pid: number;
  configPath: string;
}

export interface SshdFleet {
  /** Temp dir holding keys, configs, logs and the nodes' workdirs. */
  dir: string;
  fleet: Fleet;
  nodes: FleetNode[];
  clientKeyPath: string;
  /** known_hosts pinning every server (for OpenSSH clients). */
  knownHostsPath: string;
  servers: SshdServer[];
  /** Kills one node's sshd (to play an unreachable node). */
  stopNode(name: string): Promise<void>;
  /** Processes other than our sshd whose command line or cwd mentions the temp dir. */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface StartSshdsOptions {
  /** Node name prefix; default "n". */
  prefix?: string;
  /** sshd MaxSessions (channels per connection). Default 10, as a stock sshd. */
  maxSessions?: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('SSH-2.0-')) done(true);
    });
    socket.on('error', () => done(false));
  });
}

async function keygen(file: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vps-test', '-f', file]);
  const [type, key] = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
  return `${type} ${key}`;
}


/** Children (by ppid) of `pid`, read from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(entry));
  }
  return out;
}

/** Exists and is not a zombie (an exited process waiting to be reaped is dead). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

async function killAndWait(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export async function startSshds(count: number, options: StartSshdsOptions = {}): Promise<SshdFleet> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-sshd-'));
  const servers: SshdServer[] = [];
  const nodes: FleetNode[] = [];
  const children = new Map<string, { pid: number; exited: boolean }>();
  const cleanup = async () => {
    const listeners = servers.map((s) => s.pid);
    const sessions = (await Promise.all(listeners.map(childrenOf))).flat();
    await killAndWait([...sessions, ...listeners]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const clientKeyPath = path.join(dir, 'client_key');
    const clientPub = await keygen(clientKeyPath);
    const authorized = path.join(dir, 'authorized_keys');
    await writeFile(authorized, `${clientPub}\n`);
    const prefix = options.prefix ?? 'n';
    const known: string[] = [];
    for (let i = 1; i <= count; i++) {
      const name = `${prefix}${i}`;
      const nodeDir = path.join(dir, name);
      await mkdir(path.join(nodeDir, 'work'), { recursive: true });
      const hostKeyPath = path.join(nodeDir, 'host_key');
      const hostKey = await keygen(hostKeyPath);
      let started: SshdServer | undefined;
      for (let attempt = 0; attempt < 5 && !started; attempt++) {
        const port = await freePort();
        const configPath = path.join(nodeDir, 'sshd_config');
        await writeFile(configPath, renderSshdConfig({ listen: ['127.0.0.1'], port, hostKeyPath, configPath, pidPath: path.join(nodeDir, 'sshd.pid'), logPath: path.join(nodeDir, 'sshd.log') }, authorized, { maxSessions: options.maxSessions ?? 10, logLevel: 'ERROR' }));
        const log = await open(path.join(nodeDir, 'sshd.log'), 'a');
        const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], { stdio: ['ignore', log.fd, log.fd] });
        await log.close();
        const state = { pid: child.pid ?? -1, exited: false };
        child.on('exit', () => (state.exited = true));
        children.set(name, state);
        for (let t = 0; t < 100 && !state.exited; t++) {
          if (await banner(port)) {
            started = { node: name, port, pid: state.pid, configPath };
            break;
          }
          await new Promise((r) => setTimeout(r, 30));
        }
        if (!started && !state.exited) await killAndWait([state.pid]);
      }
      if (!started) throw new Error(`sshd for ${name} did not start (see ${path.join(nodeDir, 'sshd.log')})`);
      servers.push(started);
      known.push(`[127.0.0.1]:${started.port} ${hostKey}`);
      nodes.push({
        name,
        role: 'peer',
        nat: 'none',
        arch: 'x86_64',
        publicIp: '127.0.0.1',
        privateIp: '127.0.0.1',
        ssh: { host: '127.0.0.1', port: started.port, user: os.userInfo().username, hostKey },
        workdir: path.join(nodeDir, 'work'),
        execPrefix: [],
        resources: [],
        systemd: false,
      });
    }
    const knownHostsPath = path.join(dir, 'known_hosts');
    await writeFile(knownHostsPath, `${known.join('\n')}\n`);
    const fleet: Fleet = { runId: path.basename(dir), provider: 'test-sshd', nodes, clientKeyPath };
    return {
      dir,
      fleet,
      nodes,
      clientKeyPath,
      knownHostsPath,
      servers,
      async stopNode(name) {
        const server = servers.find((s) => s.node === name);
        if (!server) throw new Error(`no sshd for node ${name}`);
        await killAndWait([...(await childrenOf(server.pid)), server.pid]);
      },
      async leftovers() {
        const ours = new Set(servers.map((s) => s.pid));
        const sessions = new Set((await Promise.all(servers.map((s) => childrenOf(s.pid)))).flat());
        const found: string[] = [];
        for (const entry of await readdir('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const pid = Number(entry);
          if (ours.has(pid) || sessions.has(pid) || pid === process.pid) continue;
          const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
          const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
          if (cmd.includes(dir) || cwd.startsWith(dir)) found.push(`${pid} ${cmd}`);
        }
        return found;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    for (const state of children.values()) if (!state.exited) await killAndWait([state.pid]);
    throw err;
  }
}
