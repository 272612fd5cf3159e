// The real agent against peers and clients written from agent/PROTOCOL.md on 127.0.0.1:
// - the hole-punch window ends on the peer's word (STAT through the relay), never before both
//   ends punched, and stays open while anything crossed or the peer says nothing;
// - the server frees a session when both of its ends sent END (a forged END frees nothing),
//   bounds open sessions by --max-sessions and expires the rest after --session-ttl-ms.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentOnce, freePort, killAllAgents, startAgent, stopAgent, waitListening, type RunningAgent } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'vt-agent-phases-'));
let agent = '';

beforeAll(async () => {
  const [x86] = await buildAgentOnce(join(work, 'out'));
  agent = x86!.path;
});
afterAll(() => {
  killAllAgents();
  rmSync(work, { recursive: true, force: true });
});

async function startServer(extra: string[] = []): Promise<{ server: RunningAgent; port: number }> {
  const port = await freePort();
  const server = startAgent(agent, ['serve', '--port', String(port), '--name', 'boot', ...extra]);
  await waitListening(server);
  return { server, port };
}

async function metrics(server: RunningAgent): Promise<Record<string, number>> {
  const run = await stopAgent(server);
  return Object.fromEntries(run.events.filter((e) => e.type === 'metric').map((e) => [e.name as string, e.value as number]));
}

/** A UDP client socket on 127.0.0.1 collecting what it receives. */
async function client(): Promise<{ socket: Socket; received: string[]; send: (text: string, port: number) => void; next: (pattern: RegExp, ms?: number) => Promise<string> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: string[] = [];
  socket.on('message', (m) => received.push(m.toString()));
  const next = async (pattern: RegExp, ms = 3000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = received.find((r) => pattern.test(r));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`nothing matching ${pattern} within ${ms} ms; got ${JSON.stringify(received)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { socket, received, send: (text, port) => socket.send(text, port, '127.0.0.1'), next };
}

const reg = (session: string, role: 'i' | 'r', name: string, nonce: string, s: Socket) => `VT1 REG ${session} ${role} ${name} ${nonce} 127.0.0.1:${s.address().port}`;

describe('server session lifetime', () => {
  it('frees a session when both ends sent END; a forged END frees nothing', async () => {
    const { server, port } = await startServer();
    const [i, r, stranger] = await Promise.all([client(), client(), client()]);
    try {
      for (const session of ['1:x:y', '2:x:y']) {
        i.send(reg(session, 'i', 'x', '1111111111111111', i.socket), port);
        r.send(reg(session, 'r', 'y', '2222222222222222', r.socket), port);
        await i.next(new RegExp(`^VT1 PEER ${session} `));
      }
      // Session 1: ENDs with the right names and nonces, but from a stranger's socket; then one
      // from the initiator with a wrong nonce.
      stranger.send(`VT1 END 1:x:y i x 1111111111111111`, port);
      stranger.send(`VT1 END 1:x:y r y 2222222222222222`, port);
      i.send(`VT1 END 1:x:y i x ffffffffffffffff`, port);
      // Session 2: both real ends.
      i.send(`VT1 END 2:x:y i x 1111111111111111`, port);
      r.send(`VT1 END 2:x:y r y 2222222222222222`, port);
      await new Promise((res) => setTimeout(res, 200));
      i.received.length = 0;
      i.send(reg('1:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/^VT1 (PEER|WAIT) 1:x:y/)).toMatch(/^VT1 PEER 1:x:y /); // still paired
      i.send(reg('2:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/^VT1 (PEER|WAIT) 2:x:y/)).toBe('VT1 WAIT 2:x:y'); // gone, so new
    } finally {
      for (const c of [i, r, stranger]) c.socket.close();
    }
    expect(await metrics(server)).toMatchObject({ sessions_ended: 1 });
  });

  it('--max-sessions bounds open sessions: the next one is told server-full until one ends', async () => {
    const { server, port } = await startServer(['--max-sessions', '2']);
    const [i, r] = await Promise.all([client(), client()]);
    try {
      for (const k of [1, 2]) {
        i.send(reg(`${k}:x:y`, 'i', 'x', '1111111111111111', i.socket), port);
        await i.next(new RegExp(`^VT1 WAIT ${k}:x:y`));
      }
      i.send(reg('3:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/3:x:y/)).toBe('VT1 ERR 3:x:y server-full');
      r.send(reg('1:x:y', 'r', 'y', '2222222222222222', r.socket), port);
      await r.next(/^VT1 PEER 1:x:y /);
      i.send('VT1 END 1:x:y i x 1111111111111111', port);
      r.send('VT1 END 1:x:y r y 2222222222222222', port);
      await new Promise((res) => setTimeout(res, 200));
      i.received.length = 0;
      i.send(reg('3:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/3:x:y/)).toBe('VT1 WAIT 3:x:y');
    } finally {
      i.socket.close();
      r.socket.close();
    }
    expect(await metrics(server)).toMatchObject({ sessions_ended: 1, server_full: 1 });
  });

  it('--session-ttl-ms frees sessions nobody ended', async () => {
    const { server, port } = await startServer(['--max-sessions', '1', '--session-ttl-ms', '200']);
    const i = await client();
    try {
      i.send(reg('1:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      await i.next(/^VT1 WAIT 1:x:y/);
      i.send(reg('2:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/2:x:y/)).toBe('VT1 ERR 2:x:y server-full');
      await new Promise((res) => setTimeout(res, 1500)); // the server sweeps once a second
      i.received.length = 0;
      i.send(reg('2:x:y', 'i', 'x', '1111111111111111', i.socket), port);
      expect(await i.next(/2:x:y/)).toBe('VT1 WAIT 2:x:y');
    } finally {
      i.socket.close();
    }
    expect((await metrics(server)).sessions_expired).toBeGreaterThanOrEqual(1);
  });
});

/**
 * A responder written from PROTOCOL.md that never answers direct PINGs (as behind a NAT that
 * drops them), answers relayed ones, and sends STAT through the relay as `stat` says (or none).
 */
async function fakeResponder(port: number, session: string, stat: ((sentSoFar: number) => string) | undefined) {
  const c = await client();
  const nonce = '0123456789abcdef';
  let paired = false;
  let directPings = 0;
  let directPingsBeforeRelay = -1;
  // The punch window as the responder saw it: first punch PING to the first relayed PING. Its
  // length, not the PING count, is what a STAT changes (the agent backs its PINGs off).
  let firstPingAt = -1;
  let windowMs = -1;
  let sent = 0;
  const register = setInterval(() => !paired && c.send(reg(session, 'r', 'b', nonce, c.socket), port), 100);
  c.send(reg(session, 'r', 'b', nonce, c.socket), port);
  const stats = setInterval(() => {
    if (!paired || !stat) return;
    sent++; // it claims one punch PING per STAT
    c.send(`VT1 RLY ${session} VT1 STAT ${session} b ${nonce} ${stat(sent)}`, port);
  }, 25);
  c.socket.on('message', (m) => {
    const text = m.toString();
    const tok = text.split(' ');
    if (tok[1] === 'PEER') paired = true;
    else if (tok[1] === 'PING') {
      if (directPings++ === 0) firstPingAt = performance.now();
    } else if (tok[1] === 'RLY' && tok[4] === 'PING') {
      if (directPingsBeforeRelay < 0) {
        directPingsBeforeRelay = directPings;
        windowMs = firstPingAt < 0 ? -1 : performance.now() - firstPingAt;
      }
      c.send(`VT1 RLY ${session} VT1 PONG ${session} b ${nonce} ${tok[8]} fakeid`, port);
    }
  });
  return {
    close: () => (clearInterval(register), clearInterval(stats), c.socket.close()),
    directPingsBeforeRelay: () => directPingsBeforeRelay,
    windowMs: () => windowMs,
  };
}

describe('hole-punch window', () => {
  let server: RunningAgent;
  let port = 0;
  beforeAll(async () => ({ server, port } = await startServer()));
  afterAll(async () => {
    await stopAgent(server);
  });

  async function attempt(k: number, stat: ((sent: number) => string) | undefined) {
    const session = `${k}:a:b`;
    const fake = await fakeResponder(port, session, stat);
    try {
      const run = await startAgent(agent, ['probe', '--name', 'a', '--server', `127.0.0.1:${port}`, '--peers', 'b', '--round', String(k), '--timeout-ms', '2000', '--skip-direct']).done;
      expect(run.code, run.stderr).toBe(0);
      console.log(`round ${k}: ${fake.directPingsBeforeRelay()} punch PINGs in ${fake.windowMs().toFixed(0)} ms reached the responder before the relay`);
      return { event: run.events.find((e) => e.type === 'attempt'), directPings: fake.directPingsBeforeRelay(), windowMs: fake.windowMs() };
    } finally {
      fake.close();
    }
  }

  it('ends once both ends punched and the peer heard nothing, never before both punched', async () => {
    const { event, directPings, windowMs } = await attempt(101, (sent) => `hole_punch ${sent} 0 1`);
    expect(event).toMatchObject({ from: 'a', to: 'b', path: 'relay', ok: true, to_id: 'fakeid' });
    expect(directPings).toBeGreaterThanOrEqual(4); // the punch is never skipped
    const holding = await attempt(102, (sent) => `hole_punch ${sent} 1 1`);
    // The peer says a PING crossed: an answer may be on its way, so the window stays open to
    // its cap (0.35 x 2000 ms), far longer than on "nothing crossed".
    expect(holding.event).toMatchObject({ path: 'relay', ok: true });
    expect(holding.windowMs).toBeGreaterThan(2 * windowMs);
  });

  it('a peer that reports nothing gets the whole fixed window (control)', async () => {
    const quick = await attempt(103, (sent) => `hole_punch ${sent} 0 1`);
    const silent = await attempt(104, undefined);
    expect(silent.event).toMatchObject({ path: 'relay', ok: true });
    expect(silent.windowMs).toBeGreaterThan(2 * quick.windowMs);
  });

  it('a peer claiming to have punched before it says so in its own phase changes nothing', async () => {
    // A STAT from the quiet (direct) phase carries no punch count: the window stays to its cap.
    const quick = await attempt(105, (sent) => `hole_punch ${sent} 0 1`);
    const lying = await attempt(106, (sent) => `direct ${sent} 0 1`);
    expect(lying.event).toMatchObject({ path: 'relay', ok: true });
    expect(lying.windowMs).toBeGreaterThan(2 * quick.windowMs);
  });
});
