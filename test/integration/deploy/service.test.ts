// Services on real sshd nodes (non-systemd path: supervised background processes).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningPorts, renderHttpProbe } from '../../../src/deploy/readiness.js';
import {
  deployArtifact,
  NotReadyError,
  restartService,
  serviceStatus,
  startService,
  stopService,
} from '../../../src/deploy/index.js';
import type { FleetNode } from '../../../src/providers/types.js';
import { SshPool } from '../../../src/ssh/index.js';
import { alive, startSshds, type SshdFleet } from '../../helpers/sshd.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping service integration tests: they start sshd and need root');

const NODE = process.execPath; // nodes here are this machine, which has node
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!isRoot)('services', () => {
  let sshd: SshdFleet;
  let pool: SshPool;
  let a: FleetNode;
  let b: FleetNode;

  beforeAll(async () => {
    sshd = await startSshds(2);
    pool = SshPool.forFleet(sshd.fleet);
    [a, b] = sshd.nodes as [FleetNode, FleetNode];
  });

  afterAll(async () => {
    for (const n of sshd?.nodes ?? []) {
      for (const name of ['app', 'tcp', 'http', 'slow', 'crash', 'sup', 'stubborn']) await stopService(pool, n, name).catch(() => undefined);
    }
    await pool?.close();
    const left = await sshd?.leftovers();
    await sshd?.cleanup();
    expect(left).toEqual([]);
  });

  it('a running service gets its binary replaced and restarted with the new version', async () => {
    const version = (v: string) => `#!/bin/sh\necho "${v} started pid $$"\nwhile :; do echo "${v} tick"; sleep 0.2; done\n`;
    const deploy = async (v: string) => {
      const file = path.join(sshd.dir, `app-${v}`);
      writeFileSync(file, version(v), { mode: 0o755 });
      return deployArtifact(pool, [a], { path: file, sha256: sha256(version(v)), size: version(v).length, name: 'app' });
    };
    expect((await deploy('v1'))[0]!.status).toBe('uploaded');
    const started = await startService(pool, a, { name: 'app', command: `exec ${a.workdir}/bin/app`, ready: { log: 'started', timeoutMs: 10_000 } });
    expect(started.readyMs).toBeGreaterThanOrEqual(0);
    const before = await serviceStatus(pool, a, 'app');
    expect(before.running).toBe(true);
    expect(before.pid).toBe(started.pid);
    const log = path.join(a.workdir, 'logs', 'app.log');
    expect(readFileSync(log, 'utf8')).toMatch(/^v1 started/m);

    const [r] = await deploy('v2');
    expect(r).toMatchObject({ status: 'uploaded', restarted: ['app'] });
    const after = await serviceStatus(pool, a, 'app');
    expect(after.running).toBe(true);
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid!)).toBe(false);
    expect(alive(before.supervisorPid!)).toBe(false);
    await until('v2 output', async () => (/v2 tick/.test(readFileSync(log, 'utf8')) ? true : undefined));
    const text = readFileSync(log, 'utf8');
    expect(text.lastIndexOf('v1 tick')).toBeLessThan(text.indexOf('v2 started'));
    expect((await stopService(pool, a, 'app')).stopped).toBe(true);
  });

  it('readiness by TCP port waits for the listener', async () => {
    const port = 20000 + (process.pid % 20000);
    const js = `setTimeout(() => require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('up')), 700)`;
    const s = await startService(pool, a, { name: 'tcp', command: `exec ${NODE} -e "${js}"`, ready: { tcp: port, timeoutMs: 10_000 } });
    expect(s.readyMs).toBeGreaterThanOrEqual(500);
    expect(execFileSync('ss', ['-Hlnt'], { encoding: 'utf8' })).toContain(`127.0.0.1:${port}`);
    await stopService(pool, a, 'tcp');
  });

  it('readiness by HTTP URL, and the curl-less /dev/tcp probe', async () => {
    const port = 20001 + (process.pid % 20000);
    const js = `require('http').createServer((q, s) => { s.statusCode = q.url === '/health' ? 200 : 404; s.end('x'); }).listen(${port}, '127.0.0.1')`;
    await startService(pool, a, { name: 'http', command: `exec ${NODE} -e "${js}"`, ready: { http: `http://127.0.0.1:${port}/health`, timeoutMs: 10_000 } });
    // the fallback for nodes without wget or curl: only sh tools and bash on PATH
    const bare = path.join(sshd.dir, 'bare-bin');
    mkdirSync(bare, { recursive: true });
    for (const tool of ['bash', 'timeout', 'grep', 'head']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bare, tool));
    const probe = (url: string) => pool.exec(a, `PATH=${bare}; ${renderHttpProbe(url)}`);
    expect((await probe(`http://127.0.0.1:${port}/health`)).code).toBe(0);
    expect((await probe(`http://127.0.0.1:${port}/missing`)).code).not.toBe(0);
    await stopService(pool, a, 'http');
  });

  it('readiness by UDP port inside the node namespace (asNode)', async () => {
    const ns = `vt${process.pid.toString(36)}${Date.now().toString(36)}-udp`;
    execFileSync('ip', ['netns', 'add', ns]);
    const inNs: FleetNode = { ...b, execPrefix: ['ip', 'netns', 'exec', ns] };
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      const port = 20002 + (process.pid % 20000);
      const js = `require('dgram').createSocket('udp4').bind(${port}, '127.0.0.1', () => console.log('bound'))`;
      await startService(pool, inNs, { name: 'udp', command: `exec ${NODE} -e "${js}"`, ready: { udp: port, timeoutMs: 10_000 } });
      const inside = execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hlnu'], { encoding: 'utf8' });
      expect(listeningPorts(inside, 'udp').has(port)).toBe(true);
      expect(listeningPorts(execFileSync('ss', ['-Hlnu'], { encoding: 'utf8' }), 'udp').has(port)).toBe(false);
    } finally {
      await stopService(pool, inNs, 'udp');
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });

  it('a readiness timeout fails with the last 20 log lines', async () => {
    const command = 'i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); done; exec sleep 300';
    const err = await startService(pool, a, { name: 'slow', command, ready: { log: 'never-printed', timeoutMs: 1500 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/service "slow" on node "n1" not ready after 1500 ms; still waiting for log \/never-printed\//);
    expect(msg).toContain('line 30');
    expect(msg).toContain('line 11\n');
    expect(msg).not.toContain('line 10\n');
    await stopService(pool, a, 'slow');
  });

  it('a service that exits before it is ready fails fast with its log', async () => {
    const started = Date.now();
    const err = await startService(pool, a, { name: 'crash', command: 'echo "config missing" >&2; exit 3', maxRestarts: 0, ready: { log: 'ready', timeoutMs: 20_000 } }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((err as Error).message).toMatch(/ended before it was ready \(it exited with status 3\)/);
    expect((err as Error).message).toContain('config missing');
  });

  it('the supervisor restarts a service that dies, up to its limit', async () => {
    await startService(pool, a, { name: 'sup', command: 'echo "up $$"; exec sleep 300', maxRestarts: 2, ready: { log: '^up' } });
    const first = await serviceStatus(pool, a, 'sup');
    process.kill(first.pid!, 'SIGKILL');
    const second = await until('a restart', async () => {
      const s = await serviceStatus(pool, a, 'sup');
      return s.running && s.pid !== first.pid ? s : undefined;
    });
    expect(second.restarts).toBe(1);
    expect(readFileSync(path.join(a.workdir, 'logs', 'sup.log'), 'utf8')).toMatch(/exited with status 137; restart 1 of 2/);
    expect(second.uptimeSeconds).toBeGreaterThanOrEqual(0);
    // restartService: same spec (read back from the node), fresh process, restart count reset
    const again = await restartService(pool, a, 'sup');
    const third = await serviceStatus(pool, a, 'sup');
    expect(third).toMatchObject({ running: true, pid: again.pid, restarts: 0 });
    expect(alive(second.pid!)).toBe(false);
  });

  it('stop kills the whole process group, is idempotent, and forces stubborn processes', async () => {
    const pidFile = path.join(a.workdir, 'grandchild.pid');
    await startService(pool, a, { name: 'stubborn', command: `trap '' TERM; sleep 300 & echo $! > ${pidFile}; echo ready; while :; do sleep 0.1; done`, ready: { log: 'ready' } });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const status = await serviceStatus(pool, a, 'stubborn');
    const stop = await stopService(pool, a, 'stubborn', { stopGraceMs: 600 });
    expect(stop).toEqual({ stopped: true, forced: true });
    for (const pid of [grandchild, status.pid!, status.supervisorPid!]) expect(alive(pid)).toBe(false);
    expect(await stopService(pool, a, 'stubborn')).toEqual({ stopped: false, forced: false });
    expect((await serviceStatus(pool, a, 'stubborn')).running).toBe(false);
    // and the supervised one from the previous test
    const sup = await serviceStatus(pool, a, 'sup');
    expect((await stopService(pool, a, 'sup')).stopped).toBe(true);
    expect(alive(sup.pid!)).toBe(false);
  });
});
