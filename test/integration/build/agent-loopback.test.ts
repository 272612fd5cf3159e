// The real x86_64 agent binary on 127.0.0.1 (no NAT): every node is "public" here, so pairs
// connect directly; debug flags force the hole-punch and relay paths. A hand-written peer that
// speaks the wire protocol (agent/PROTOCOL.md) checks the false-success guard.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentOnce, freePort, killAllAgents, startAgent, stopAgent, waitListening, type AgentRun, type RunningAgent } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'vt-agent-'));
let agent = '';
let port = 0;
let server: RunningAgent;
let serverAddr = '';

beforeAll(async () => {
  const [x86] = await buildAgentOnce(join(work, 'out'));
  agent = x86!.path;
  port = await freePort();
  serverAddr = `127.0.0.1:${port}`;
  server = startAgent(agent, ['serve', '--port', String(port)]);
  await waitListening(server);
});
afterAll(async () => {
  if (server) await stopAgent(server);
  killAllAgents();
  rmSync(work, { recursive: true, force: true });
});

/** Runs one probe round on the given nodes (all started at once) and returns each node's run. */
async function round(nodes: string[], peers: string[], k: number, extra: string[] = [], addr = serverAddr): Promise<Map<string, AgentRun>> {
  const runs = nodes.map((name) => [name, startAgent(agent, ['probe', '--name', name, '--server', addr, '--peers', peers.join(','), '--round', String(k), ...extra])] as const);
  const results = new Map<string, AgentRun>();
  for (const [name, run] of runs) results.set(name, await run.done);
  return results;
}

function attempts(runs: Map<string, AgentRun>) {
  return [...runs.values()].flatMap((r) => r.events.filter((e) => e.type === 'attempt'));
}

describe('probe round on loopback', () => {
  it('every ordered pair connects directly, once, with distinct identities', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    const started = Date.now();
    const runs = await round(nodes, nodes, 1);
    const wall = Date.now() - started;
    console.log(`round of 5 nodes (20 ordered pairs), all direct: ${wall} ms`);
    for (const [name, run] of runs) {
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
      expect(run.malformed).toEqual([]);
      expect(run.events.every((e) => e.from === name && e.v === 1)).toBe(true);
    }
    const all = attempts(runs);
    expect(all).toHaveLength(20);
    const pairs = new Set(all.map((e) => `${e.from}->${e.to}`));
    expect(pairs.size).toBe(20);
    for (const e of all) {
      expect(e).toMatchObject({ suite: 'connectivity', path: 'direct', ok: true, trial: 1 });
      expect(e.rtt_ms).toBeGreaterThan(0);
      expect(e.from_id).not.toBe(e.to_id);
    }
    expect(wall).toBeLessThan(1500);
  });

  it('back-to-back rounds stay independent (nonces and session ids per round)', async () => {
    for (const k of [2, 3, 4]) {
      const all = attempts(await round(['a', 'b', 'c'], ['a', 'b', 'c'], k, ['--suite', 'nat-traversal']));
      expect(all).toHaveLength(6);
      expect(all.every((e) => e.ok === true && e.trial === k && e.suite === 'nat-traversal')).toBe(true);
    }
  });

  it('a missing responder is a timeout, and the round still ends in bounded time', async () => {
    const started = Date.now();
    const runs = await round(['a', 'b'], ['a', 'b', 'ghost'], 5);
    const wall = Date.now() - started;
    console.log(`round with a missing node (timeout 3000 ms): ${wall} ms`);
    const all = attempts(runs);
    expect(all).toHaveLength(4);
    const toGhost = all.filter((e) => e.to === 'ghost');
    expect(toGhost).toHaveLength(2);
    for (const e of toGhost) expect(e).toMatchObject({ ok: false, error: 'timeout (peer never registered)' });
    expect(all.filter((e) => e.to !== 'ghost').every((e) => e.ok === true)).toBe(true);
    expect(wall).toBeLessThan(4000);
    expect(wall).toBeGreaterThanOrEqual(3000);
  });

  it('an unreachable server is reported as such', async () => {
    const deadPort = await freePort();
    const runs = await round(['a'], ['a', 'b'], 6, ['--timeout-ms', '600'], `127.0.0.1:${deadPort}`);
    expect(attempts(runs)).toEqual([expect.objectContaining({ from: 'a', to: 'b', ok: false, error: 'timeout (no answer from server)' })]);
  });

  it('hole punching works when direct is skipped', async () => {
    const all = attempts(await round(['a', 'b'], ['a', 'b'], 7, ['--skip-direct']));
    expect(all.map((e) => [e.path, e.ok])).toEqual([
      ['hole_punch', true],
      ['hole_punch', true],
    ]);
  });

  it('the relay carries the probe when forced, and the server counts relayed packets', async () => {
    const relayPort = await freePort();
    const relayServer = startAgent(agent, ['serve', '--port', String(relayPort), '--name', 'boot']);
    await waitListening(relayServer);
    const all = attempts(await round(['a', 'b', 'c'], ['a', 'b', 'c'], 8, ['--force-relay'], `127.0.0.1:${relayPort}`));
    expect(all).toHaveLength(6);
    for (const e of all) expect(e).toMatchObject({ path: 'relay', ok: true });
    const serverRun = await stopAgent(relayServer);
    const relayed = serverRun.events.find((e) => e.name === 'relayed_packets');
    expect(relayed).toMatchObject({ type: 'metric', node: 'boot' });
    expect(relayed!.value as number).toBeGreaterThanOrEqual(12); // ping + pong per pair at least
  });

  it('a server started with --no-relay refuses, and the attempt fails', async () => {
    const noRelayPort = await freePort();
    const noRelay = startAgent(agent, ['serve', '--port', String(noRelayPort), '--no-relay']);
    await waitListening(noRelay);
    const all = attempts(await round(['a', 'b'], ['a', 'b'], 9, ['--force-relay'], `127.0.0.1:${noRelayPort}`));
    expect(all).toHaveLength(2);
    for (const e of all) expect(e).toMatchObject({ path: 'relay', ok: false, error: 'relay refused by server' });
    await stopAgent(noRelay);
  });
});

/** A peer written from PROTOCOL.md: registers as responder, answers PINGs with what `reply` returns. */
async function fakeResponder(session: string, reply: (ping: string[], peerNonce: string) => string | undefined): Promise<{ socket: Socket; pings: () => number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const nonce = '0123456789abcdef';
  let peerNonce = '';
  let pings = 0;
  const [host, portText] = serverAddr.split(':');
  const register = () => socket.send(`VT1 REG ${session} r b ${nonce} 127.0.0.1:${socket.address().port}`, Number(portText), host);
  const timer = setInterval(register, 100);
  register();
  socket.on('message', (msg, from) => {
    const tok = msg.toString().split(' ');
    if (tok[1] === 'PEER') {
      peerNonce = tok[6] ?? '';
      clearInterval(timer);
    } else if (tok[1] === 'PING' && peerNonce) {
      pings++;
      const answer = reply(tok, nonce);
      if (answer) socket.send(answer, from.port, from.address);
    }
  });
  socket.on('close', () => clearInterval(timer));
  return { socket, pings: () => pings };
}

describe('false-success guard', () => {
  const cases: Array<[string, (ping: string[], nonce: string) => string, boolean]> = [
    ['a correct answer (control)', (p, n) => `VT1 PONG ${p[2]} b ${n} ${p[5]} fakeid`, true],
    ['an answer claiming another name', (p, n) => `VT1 PONG ${p[2]} c ${n} ${p[5]} fakeid`, false],
    ['an answer with a stale nonce', (p) => `VT1 PONG ${p[2]} b ffffffffffffffff ${p[5]} fakeid`, false],
    ['an answer for another session', (p, n) => `VT1 PONG 99:a:b b ${n} ${p[5]} fakeid`, false],
    ['an echo of the ping itself', (p) => p.join(' '), false],
  ];
  let k = 20;
  for (const [what, reply, ok] of cases) {
    it(`${ok ? 'accepts' : 'rejects'} ${what}`, async () => {
      const session = `${++k}:a:b`;
      const fake = await fakeResponder(session, reply);
      try {
        const run = await startAgent(agent, ['probe', '--name', 'a', '--server', serverAddr, '--peers', 'b', '--round', String(k), '--timeout-ms', '800', '--no-relay']).done;
        expect(fake.pings()).toBeGreaterThan(0);
        expect(run.events).toEqual([expect.objectContaining({ from: 'a', to: 'b', ok })]);
        if (ok) expect(run.events[0]).toMatchObject({ path: 'direct', to_id: 'fakeid' });
      } finally {
        fake.socket.close();
      }
    });
  }
});

describe('throughput', () => {
  it('streams to the server sink and reports what the sink received', async () => {
    const run = await startAgent(agent, ['throughput', '--name', 'a', '--to', 'boot', '--addr', serverAddr, '--seconds', '1']).done;
    expect(run.code, run.stderr).toBe(0);
    const [event] = run.events;
    expect(event).toMatchObject({ v: 1, type: 'throughput', from: 'a', to: 'boot' });
    expect(event!.bytes as number).toBeGreaterThan(0);
    expect(event!.seconds as number).toBeGreaterThanOrEqual(1);
    const computed = ((event!.bytes as number) * 8) / (event!.seconds as number) / 1e6;
    expect(Math.abs((event!.mbps as number) - computed) / computed).toBeLessThan(0.002); // seconds has 3 decimals
    console.log(`loopback throughput: ${event!.mbps} Mbit/s`);
  });
  it('fails with exit 1 when nothing listens', async () => {
    const run = await startAgent(agent, ['throughput', '--name', 'a', '--to', 'x', '--addr', `127.0.0.1:${await freePort()}`, '--seconds', '1']).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+/);
    expect(run.events).toEqual([]);
  });
});

describe('gossip', () => {
  it('delivers the message to every node once, with hops and latency', async () => {
    const nodes = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8'];
    const started = Date.now();
    const runs = nodes.map((name) =>
      startAgent(agent, ['gossip', '--name', name, '--server', serverAddr, '--peers', nodes.join(','), '--origin', name === 'g1' ? 'yes' : 'no', '--msg', 'm1', '--fanout', '2', '--duration-ms', '4000']),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    console.log(`gossip to 8 nodes, fanout 2: all processes done in ${Date.now() - started} ms`);
    const events = results.flatMap((r) => r.events);
    expect(results.every((r) => r.code === 0 && r.malformed.length === 0)).toBe(true);
    expect(events.map((e) => e.node).sort()).toEqual(nodes.slice(1));
    for (const e of events) {
      expect(e).toMatchObject({ v: 1, type: 'gossip', msg: 'm1', origin: 'g1' });
      expect(e.hops as number).toBeGreaterThanOrEqual(1);
      expect(e.latency_ms as number).toBeGreaterThanOrEqual(0);
    }
    expect(Math.max(...events.map((e) => e.hops as number))).toBeGreaterThanOrEqual(2); // really flooded, not star
  });
});

describe('command line', () => {
  it('every subcommand has --help (exit 0) and bad arguments exit 2 with a message', async () => {
    for (const sub of ['serve', 'probe', 'throughput', 'gossip']) {
      const help = await startAgent(agent, [sub, '--help']).done;
      expect(help.code).toBe(0);
      expect(help.events).toEqual([]);
    }
    const bad: Array<[string[], RegExp]> = [
      [['probe', '--name', 'a', '--server', 'nowhere', '--peers', 'b', '--round', '1'], /--server must be IPv4:PORT/],
      [['probe', '--name', 'a b', '--server', serverAddr, '--peers', 'b', '--round', '1'], /--name must match/],
      [['probe', '--name', 'a', '--server', serverAddr, '--round', '1'], /missing required option --peers/],
      [['serve', '--port', '70000'], /--port must be a whole number from 1 to 65535/],
      [['gossip', '--name', 'a', '--server', serverAddr, '--peers', 'b', '--origin', 'maybe', '--msg', 'm'], /--origin must be yes or no/],
      [['throughput', '--frobnicate'], /unknown option '--frobnicate'/],
      [['launch'], /unknown command 'launch'/],
    ];
    for (const [args, message] of bad) {
      const run = await startAgent(agent, args).done;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });
});
