// SshPool against real OpenSSH servers on 127.0.0.1 (test/helpers/sshd.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetNode } from '../../../src/providers/types.js';
import { ExecAbortedError, HostKeyMismatchError, ScriptFailedError, SshPool } from '../../../src/ssh/index.js';
import { startSshds, type SshdFleet } from '../../helpers/sshd.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping ssh integration tests: they start sshd and need root');

/** A process that exists and is not a zombie (an exited process not yet reaped is dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The same check, run on the node. */
const remoteAliveCheck = (pids: number[]) =>
  pids.map((p) => `st=$(sed 's/.*) //' /proc/${p}/stat 2>/dev/null | cut -d' ' -f1); [ -n "$st" ] && [ "$st" != Z ] && echo alive-${p}`).join('; ') + '; true';

/** Session processes (one per TCP connection) under an sshd listener. */
async function sessionsOf(listener: number): Promise<number> {
  let n = 0;
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === listener) n++;
  }
  return n;
}

describe.skipIf(!isRoot)('SshPool against real sshd', () => {
  let sshd: SshdFleet;
  let pool: SshPool;
  let a: FleetNode;

  beforeAll(async () => {
    sshd = await startSshds(3);
    pool = SshPool.forFleet(sshd.fleet);
    a = sshd.nodes[0]!;
  });

  afterAll(async () => {
    await pool?.close();
    const left = await sshd?.leftovers();
    await sshd?.cleanup();
    expect(left).toEqual([]);
    for (const s of sshd?.servers ?? []) expect(alive(s.pid)).toBe(false);
  });

  it('runs commands: exit code, stdout, stderr', async () => {
    const r = await pool.exec(a, 'echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect((await pool.execArgv(a, ['printf', '%s', "it's $(not expanded)"])).stdout).toBe("it's $(not expanded)");
  });

  it('refuses a node whose host key is not the pinned one, naming both fingerprints', async () => {
    const [, b, c] = sshd.nodes;
    const swapped: FleetNode = { ...b!, ssh: { ...b!.ssh, hostKey: c!.ssh.hostKey } };
    const fp = (node: FleetNode) => {
      const file = path.join(sshd.dir, `${node.name}.pin.pub`);
      writeFileSync(file, `${node.ssh.hostKey}\n`);
      return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1]!;
    };
    const err = await pool.exec(swapped, 'true').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyMismatchError);
    const msg = (err as Error).message;
    expect(msg).toContain(`node "${b!.name}"`);
    expect(msg).toContain(`127.0.0.1:${b!.ssh.port}`);
    expect(msg).toContain(`expected ${fp(c!)}`);
    expect(msg).toContain(`received ${fp(b!)}`);
    // the genuine pin still works (the failure was not cached)
    expect((await pool.exec(b!, 'echo ok')).stdout).toBe('ok\n');
  });

  it('reports an unreadable client key clearly', async () => {
    const bad = new SshPool({ clientKeyPath: path.join(sshd.dir, 'no-such-key') });
    await expect(bad.exec(a, 'true')).rejects.toThrow(/cannot read the SSH client key .*no-such-key: ENOENT/);
    await bad.close();
  });

  it('streams output in chunks before the command exits', async () => {
    const chunks: { text: string; at: number }[] = [];
    const started = Date.now();
    const r = await pool.exec(a, 'echo first; sleep 1; echo second', { onStdout: (text) => chunks.push({ text, at: Date.now() - started }) });
    const end = Date.now() - started;
    expect(r.stdout).toBe('first\nsecond\n');
    expect(chunks.map((c) => c.text).join('')).toBe('first\nsecond\n');
    expect(chunks[0]!.text).toBe('first\n');
    expect(end - chunks[0]!.at).toBeGreaterThan(800); // "first" arrived ~1 s before the exit
  });

  it('kills a command that exceeds its timeout on the remote side, children included', async () => {
    const pidFile = path.join(a.workdir, 'timeout.pids');
    const r = await pool.exec(a, `sleep 300 & echo $$ $! > ${pidFile}; echo started; wait`, { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    expect(r.stdout).toBe('started\n');
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    expect(pids).toHaveLength(2);
    // checked on the node itself (same machine here, so also with /proc)
    const check = await pool.exec(a, remoteAliveCheck(pids));
    expect(check.stdout).toBe('');
    for (const p of pids) expect(alive(p)).toBe(false);
  });

  it('an aborted command is killed and the call rejects', async () => {
    const pidFile = path.join(a.workdir, 'abort.pid');
    const controller = new AbortController();
    const running = pool.exec(a, `echo $$ > ${pidFile}; exec sleep 300`, { signal: controller.signal, onStdout: () => undefined });
    for (let i = 0; i < 100; i++) {
      const text = await readFile(pidFile, 'utf8').catch(() => '');
      if (text.trim()) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(ExecAbortedError);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('a failing line of a script fails the step and names the line, its text and its stderr', async () => {
    const script = ['mkdir -p "$HOME/.vt-none-$$" && rmdir "$HOME/.vt-none-$$"', 'echo step two', 'cat /nonexistent/config.toml', 'echo unreachable'];
    const err = await pool.runScript(a, script).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScriptFailedError);
    const f = (err as ScriptFailedError).failure!;
    expect(f).toMatchObject({ line: 3, text: 'cat /nonexistent/config.toml', code: 1 });
    expect(f.stderr).toMatch(/nonexistent\/config.toml: No such file/);
    expect((err as Error).message).toMatch(/^script on node "n1" failed at line 3 \(`cat \/nonexistent\/config.toml`\) with exit code 1/);
    const ok = await pool.runScript(a, 'x=1\nif [ $x = 1 ]; then\n  echo yes\nfi\n');
    expect(ok).toMatchObject({ ok: true, code: 0, stdout: 'yes\n' });
    const soft = await pool.runScript(a, ['true', 'false'], { allowFailure: true });
    expect(soft.ok).toBe(false);
    expect(soft.failed?.line).toBe(2);
  });

  it('a script that times out says where it was', async () => {
    await expect(pool.runScript(a, ['echo a', 'sleep 30'], { timeoutMs: 500 })).rejects.toThrow(/timed out after 500 ms at line 2 \(`sleep 30`\)/);
  });

  it('runs many concurrent commands over ONE connection per node', async () => {
    const nodes = sshd.nodes;
    const baseline = await Promise.all(sshd.servers.map((s) => sessionsOf(s.pid)));
    // stock sshd MaxSessions (10) is the ceiling per connection; 8 keeps a margin
    const fresh = SshPool.forFleet(sshd.fleet, { maxChannelsPerNode: 8 });
    try {
      const results = await Promise.all(
        nodes.flatMap((n) => Array.from({ length: 40 }, (_, i) => fresh.exec(n, `sleep 0.0$((${i} % 5)); echo ${n.name}-${i}`))),
      );
      expect(results.every((r) => r.code === 0)).toBe(true);
      expect(results.map((r) => r.stdout.trim())).toEqual(nodes.flatMap((n) => Array.from({ length: 40 }, (_, i) => `${n.name}-${i}`)));
      expect(fresh.size).toBe(nodes.length);
      // 120 commands, and each sshd saw exactly one new connection
      expect(await Promise.all(sshd.servers.map((s) => sessionsOf(s.pid)))).toEqual(baseline.map((n) => n + 1));
    } finally {
      await fresh.close();
    }
  });

  it('reopens a connection that dropped', async () => {
    const c = sshd.nodes[2]!;
    await pool.exec(c, 'true');
    // kill this node's session processes (the server side of our connection)
    const server = sshd.servers[2]!;
    const children = execFileSync('pgrep', ['-P', String(server.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    for (const p of children) process.kill(p, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect((await pool.exec(c, 'echo back')).stdout).toBe('back\n');
  });

  it('a connection lost while a command runs is an error, not an exit status', async () => {
    const c = sshd.nodes[2]!;
    const server = sshd.servers[2]!;
    const pidFile = path.join(c.workdir, 'lost.pid');
    const running = pool.exec(c, `echo $$ > ${pidFile}; exec sleep 30`);
    await new Promise((r) => setTimeout(r, 300));
    for (const p of execFileSync('pgrep', ['-P', String(server.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number)) process.kill(p, 'SIGKILL');
    await expect(running).rejects.toThrow(/lost the connection to node "n3"/);
    // the orphaned command is ours to clean up
    const orphan = Number(readFileSync(pidFile, 'utf8'));
    if (alive(orphan)) process.kill(orphan, 'SIGKILL');
  });

  it('uploads and downloads files intact', async () => {
    const local = path.join(sshd.dir, 'payload.bin');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    writeFileSync(local, data);
    const remote = path.join(a.workdir, 'up', 'payload.bin');
    await pool.upload(a, local, remote);
    expect(readFileSync(remote).equals(data)).toBe(true);
    const back = path.join(sshd.dir, 'payload.back');
    await pool.download(a, remote, back);
    expect(readFileSync(back).equals(data)).toBe(true);
    await expect(pool.download(a, '/nonexistent/x', back)).rejects.toThrow(/download of node "n1":\/nonexistent\/x/);
  });

  it('asNode runs the command inside the node namespace (execPrefix)', async () => {
    const ns = `vt${process.pid.toString(36)}${Date.now().toString(36)}-n1`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const inNs: FleetNode = { ...a, execPrefix: ['ip', 'netns', 'exec', ns] };
      const root = (await pool.exec(inNs, 'readlink /proc/self/ns/net')).stdout.trim();
      const inside = (await pool.exec(inNs, 'readlink /proc/self/ns/net', { asNode: true })).stdout.trim();
      const expected = execFileSync('ip', ['netns', 'exec', ns, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim();
      expect(inside).toBe(expected);
      expect(inside).not.toBe(root);
      // and a timeout still kills what runs inside the namespace
      const r = await pool.exec(inNs, `echo $$ > ${a.workdir}/ns.pid; exec sleep 300`, { asNode: true, timeoutMs: 500 });
      expect(r.timedOut).toBe(true);
      expect(alive(Number(readFileSync(path.join(a.workdir, 'ns.pid'), 'utf8')))).toBe(false);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
