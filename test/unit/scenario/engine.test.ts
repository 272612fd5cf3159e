import { describe, expect, it } from 'vitest';
import { runScenario, type EngineContext } from '../../../src/suites/scenario/index.js';
import type { ScenarioStepResult } from '../../../src/results/scenario.js';
import { FakeIO, fleetOf, node, scenario, type ExecCall, type Reply } from './fake-io.js';

const fleet = fleetOf(node('manager', '10.1.0.2'), node('agent', '10.1.0.3', '10.3.0.2'), node('p1', '10.1.0.4', '10.1.0.4', 'relay'), node('p2', '10.1.0.5', '10.1.0.5', 'relay'));

async function run(steps: unknown[], handler?: (c: ExecCall) => Reply, io = new FakeIO(handler), nft = true): Promise<{ results: ScenarioStepResult[]; io: FakeIO; seen: ScenarioStepResult[] }> {
  const seen: ScenarioStepResult[] = [];
  const ctx: EngineContext = { io, fleet, binPath: (n) => `${n.workdir}/bin/app`, log: () => undefined, nft };
  const results = await runScenario(ctx, 'demo', scenario(steps), (r) => seen.push(r));
  return { results, io, seen };
}

describe('scenario engine', () => {
  it('runs a command as the node in its workdir with placeholders expanded, and reports it', async () => {
    const { results, io, seen } = await run([{ run: { on: 'manager', cmd: '{bin} ping {node:agent.ip}', expect: { stdout: 'pong' } } }], (c) => (c.asNode ? { stdout: 'pong\n' } : undefined));
    expect(io.nodeCommands()).toEqual([{ node: 'manager', command: "cd /w/manager && /w/manager/bin/app ping 10.1.0.3", asNode: true }]);
    expect(results).toEqual(seen);
    expect(results[0]).toMatchObject({ index: 1, kind: 'run', ok: true, nodes: ['manager'], exit: 0, command: '/w/manager/bin/app ping 10.1.0.3', title: 'run on manager: {bin} ping {node:agent.ip}' });
    expect(results[0]?.output).toContain('pong');
  });

  it('a failing command names the node, the command, the exit code and the tail of the output', async () => {
    const { results } = await run([{ run: { on: 'agent', cmd: 'false-ish' } }], (c) => (c.asNode ? { code: 7, stderr: 'boom: no route\n' } : undefined));
    expect(results[0]).toMatchObject({ ok: false, nodes: ['agent'], exit: 7, command: 'false-ish', reason: 'exit code 7, expected 0' });
    expect(results[0]?.output).toContain('boom: no route');
  });

  it('judges stdout, stderr and the time bound', async () => {
    const slow = new FakeIO((c) => (c.asNode ? { stdout: 'hello', stderr: 'warn' } : undefined));
    const origExec = slow.exec.bind(slow);
    slow.exec = async (n, cmd, o) => {
      const r = await origExec(n, cmd, o);
      if (o.asNode) slow.clock += 6000;
      return r;
    };
    const { results } = await run(
      [
        { run: { on: 'manager', cmd: 'a', expect: { stdout: 'bye' } } },
        { run: { on: 'manager', cmd: 'b', expect: { stderr: '^error' } } },
        { run: { on: 'manager', cmd: 'c', expect: { within: '5s' } } },
        { run: { on: 'manager', cmd: 'd', expect: { stdout: 'hel+o', stderr: 'warn', within: '10s' } } },
      ],
      undefined,
      slow,
    );
    expect(results.map((r) => r.reason)).toEqual(['stdout does not match /bye/', 'stderr does not match /^error/', expect.stringMatching(/^took 60\d\d ms, more than the 5000 ms bound$/), undefined]);
  });

  it('runs on every node of a role and names each failing one', async () => {
    const { results, io } = await run([{ run: { on: 'role:relay', cmd: 'check' } }], (c) => (c.asNode && c.node === 'p2' ? { code: 1 } : undefined));
    expect(io.nodeCommands().map((c) => c.node).sort()).toEqual(['p1', 'p2']);
    expect(results[0]).toMatchObject({ ok: false, nodes: ['p1', 'p2'], reason: 'p2: exit code 1, expected 0' });
  });

  it('captures a regex group and passes it to a later step on another node', async () => {
    const { results, io } = await run(
      [
        { capture: { on: 'agent', cmd: '{bin} id', regex: 'id=(\\w+)', as: 'agent_id' } },
        { run: { on: 'manager', cmd: '{bin} exec --to {var:agent_id} hostname' } },
      ],
      (c) => (c.asNode && c.node === 'agent' ? { stdout: 'id=ag7f3k\n' } : undefined),
    );
    expect(results[0]).toMatchObject({ ok: true, output: 'agent_id = ag7f3k' });
    expect(io.nodeCommands()[1]?.command).toBe('cd /w/manager && /w/manager/bin/app exec --to ag7f3k hostname');
  });

  it('a capture that matches nothing fails and stops the scenario; later steps are reported as not run', async () => {
    const { results, io } = await run(
      [
        { capture: { on: 'agent', cmd: 'id', regex: 'id=(\\w+)', as: 'agent_id' } },
        { run: { on: 'manager', cmd: 'exec {var:agent_id}' } },
        { wait: '1s' },
      ],
      (c) => (c.asNode ? { stdout: 'who am i?' } : undefined),
    );
    expect(results[0]).toMatchObject({ ok: false, reason: 'output does not match /id=(\\w+)/, nothing captured as agent_id' });
    expect(results.slice(1).map((r) => [r.skipped, r.reason])).toEqual([
      [true, 'not run: step 1 (capture on agent: id) failed'],
      [true, 'not run: step 1 (capture on agent: id) failed'],
    ]);
    expect(io.nodeCommands()).toHaveLength(1);
    expect(io.slept).toEqual([]);
  });

  describe('self-command guard', () => {
    it("fails a step meant for a peer that carries the caller's own captured identity, without running it", async () => {
      const { results, io } = await run(
        [
          { capture: { on: 'manager', cmd: 'id', regex: 'id=(\\w+)', as: 'agent_id' } },
          { run: { on: 'manager', cmd: 'exec --to {var:agent_id} hostname', peer: 'agent' } },
        ],
        (c) => (c.asNode ? { stdout: 'id=mgr0001' } : undefined),
      );
      expect(results[1]).toMatchObject({ ok: false, peer: 'agent' });
      expect(results[1]?.reason).toBe("self-command: {var:agent_id} is manager's own identity (captured on manager in step 1); the command meant for agent would only reach manager itself");
      expect(io.nodeCommands()).toHaveLength(1);
    });

    it("fails when the identity passed equals the caller's own, captured under another name", async () => {
      const { results } = await run(
        [
          { capture: { on: 'manager', cmd: 'id', regex: 'id=(\\w+)', as: 'me' } },
          { capture: { on: 'agent', cmd: 'id', regex: 'id=(\\w+)', as: 'agent_id' } },
          { run: { on: 'manager', cmd: 'exec --to {var:agent_id}', peer: 'agent' } },
        ],
        (c) => (c.asNode ? { stdout: 'id=same0001' } : undefined),
      );
      expect(results[2]?.reason).toMatch(/^self-command: \{var:agent_id\} \(same0001\) equals manager's own identity \{var:me\}/);
    });

    it("fails when the peer's machine saw no packet from the caller while the command ran", async () => {
      const { results, io } = await run([{ run: { on: 'manager', cmd: 'exec --to agent', peer: 'agent' } }], (c) =>
        c.command.startsWith('nft list counter') ? { stdout: 'table inet vtseen {\n counter seen {\n packets 0 bytes 0\n }\n}' } : undefined,
      );
      expect(results[0]).toMatchObject({ ok: false, peer_packets: 0 });
      expect(results[0]?.reason).toMatch(/^self-command: agent never saw traffic from manager while the command ran/);
      const counter = io.calls.find((c) => c.command.includes('VT_SEEN'));
      expect(counter).toMatchObject({ node: 'agent', asNode: false });
      expect(counter?.command).toContain('ip saddr { 10.1.0.2 } counter name "seen"');
    });

    it('passes when the peer saw traffic, and counts it', async () => {
      const { results } = await run([{ run: { on: 'agent', cmd: 'exec --to manager', peer: 'manager' } }], (c) =>
        c.command.startsWith('nft list counter') ? { stdout: 'counter seen { packets 12 bytes 900 }' } : undefined,
      );
      expect(results[0]).toMatchObject({ ok: true, peer_packets: 12 });
    });

    it('counts both addresses of a NAT-ed caller', async () => {
      const { io } = await run([{ run: { on: 'agent', cmd: 'x', peer: 'manager' } }], (c) => (c.command.startsWith('nft list counter') ? { stdout: 'packets 3 bytes 1' } : undefined));
      expect(io.calls.find((c) => c.command.includes('VT_SEEN'))?.command).toContain('ip saddr { 10.1.0.3, 10.3.0.2 }');
    });
  });

  it('partitions groups per protocol on every member machine, and heals them at the end even without heal', async () => {
    const { results, io } = await run([{ partition: { groups: [['manager'], ['agent', 'p1']], protocol: 'udp' } }, { run: { on: 'manager', cmd: 'probe' } }]);
    expect(results[0]).toMatchObject({ ok: true, nodes: ['manager', 'agent', 'p1'] });
    const installs = io.calls.filter((c) => c.command.includes('VT_PARTITION'));
    expect(installs.map((c) => [c.node, c.asNode])).toEqual([
      ['manager', false],
      ['agent', false],
      ['p1', false],
    ]);
    expect(installs[0]?.command).toContain('elements = { 10.1.0.3, 10.3.0.2, 10.1.0.4 }');
    expect(installs[0]?.command).toContain('ip saddr @cut meta l4proto udp counter drop');
    expect(installs[1]?.command).toContain('elements = { 10.1.0.2 }');
    const heals = io.calls.filter((c) => c.command.includes('nft delete table inet vtpart'));
    expect(heals.map((c) => c.node).sort()).toEqual(['agent', 'manager', 'p1']);
  });

  it('heal reports the dropped packets and leaves nothing for the clean-up', async () => {
    const { results, io } = await run([{ partition: { groups: [['manager'], ['agent']] } }, { heal: {} }], (c) =>
      c.command.startsWith('nft list table') ? { stdout: 'ip saddr @cut counter packets 4 bytes 10 drop\nip daddr @cut counter packets 2 bytes 1 drop' } : undefined,
    );
    expect(results[1]?.output).toContain('healed; 6 packets had been dropped');
    expect(io.calls.filter((c) => c.command.includes('nft delete table inet vtpart'))).toHaveLength(2);
  });

  it('refuses a partition without nft on the machines', async () => {
    const { results } = await run([{ partition: { groups: [['manager'], ['agent']] } }], undefined, new FakeIO(), false);
    expect(results[0]?.reason).toMatch(/partition needs nft/);
  });

  it('starts background processes with readiness, kills and restarts them, stops them at the end', async () => {
    const { results, io } = await run([
      { background: { on: 'role:relay', cmd: '{bin} serve --name {node}', name: 'provider', ready: { tcp: 7000, timeout: '3s' } } },
      { kill: { on: 'p1', name: 'provider' } },
      { restart: { on: 'p1', name: 'provider' } },
      { kill: { on: 'p1', name: 'provider' } },
      { kill: { on: 'p1', name: 'provider' } },
      { wait: '1s' },
    ]);
    expect(io.started.map((s) => [s.node, s.spec])).toEqual([
      ['p1', { name: 'bg-provider', command: '/w/p1/bin/app serve --name p1', ready: { tcp: 7000, timeoutMs: 3000 } }],
      ['p2', { name: 'bg-provider', command: '/w/p2/bin/app serve --name p2', ready: { tcp: 7000, timeoutMs: 3000 } }],
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false, false]);
    expect(results[4]?.reason).toBe('nothing named provider was running on p1');
    expect(results[5]).toMatchObject({ skipped: true, reason: 'not run: step 5 (kill provider on p1) failed' });
    expect(io.restarted).toEqual([{ node: 'p1', name: 'bg-provider' }]);
    expect(io.running.size).toBe(0);
  });

  it('a background process that never gets ready fails the step and stops the scenario', async () => {
    const io = new FakeIO();
    io.startError = 'service "bg-x" on node "p1" not ready after 3000 ms';
    const { results } = await run([{ background: { on: 'p1', cmd: 'x', name: 'x' } }, { run: { on: 'p1', cmd: 'y' } }], undefined, io);
    expect(results[0]).toMatchObject({ ok: false, reason: 'service "bg-x" on node "p1" not ready after 3000 ms' });
    expect(results[1]?.skipped).toBe(true);
    expect(io.stopped).toEqual([{ node: 'p1', name: 'bg-x' }]);
  });

  it('counts log lines between two marks', async () => {
    let marks = 0;
    const { results, io } = await run(
      [
        { mark: 'before' },
        { mark: 'after' },
        { log_count: { on: 'manager', pattern: 'Creating connection', since: 'before', until: 'after', expect: { eq: 2 } } },
        { log_count: { on: 'manager', pattern: 'Creating connection', expect: { max: 1 } } },
      ],
      (c) => {
        if (c.command.startsWith('for f in')) {
          marks++;
          return { stdout: c.node === 'manager' ? `${marks <= 4 ? 10 : marks <= 8 ? 100 : 300} /w/manager/logs/service.log\n` : '' };
        }
        if (c.command.includes('tail -c')) return { stdout: 'Creating connection to a\nnoise\nCreating connection to b\n' };
        return undefined;
      },
    );
    const reads = io.calls.filter((c) => c.command.includes('tail -c'));
    expect(reads[0]?.command).toContain('tail -c +101 /w/manager/logs/service.log | head -c 200');
    expect(reads[1]?.command).toMatch(/tail -c \+11 \/w\/manager\/logs\/service.log$/);
    expect(results[2]).toMatchObject({ ok: true });
    expect(results[3]).toMatchObject({ ok: false, reason: 'counted 2, expected at most 1 lines matching /Creating connection/ (scenario start .. now)' });
  });

  it('http from a node through curl and from the controller, with status, body and JSON path', async () => {
    const { results, io } = await run(
      [
        { http: { on: 'manager', url: 'http://{node:agent.ip}:8080/health', expect: { status: 200, json: { path: 'state', equals: 'up' } } } },
        { http: { on: 'manager', url: 'http://{node:agent.ip}:8080/health', expect: { status: 200, json: { path: 'state', equals: 'down' } } } },
        { http: { url: 'http://{node:agent.ip}:8080/peers', expect: { body: '"ok":true', json: { path: 'peers[0].id', equals: 'x' } } } },
      ],
      (c) => (c.command.startsWith('curl') ? { stdout: '{"state":"up"}\n200' } : undefined),
    );
    expect(io.nodeCommands()[0]?.command).toBe("curl -sS -m 10 -o - -w '\\n%{http_code}' http://10.1.0.3:8080/health");
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]?.reason).toBe('state is "up", expected "down"');
    expect(io.fetched).toEqual(['http://10.1.0.3:8080/peers']);
  });

  it('wait sleeps; every step has a duration', async () => {
    const { results, io } = await run([{ wait: '2s' }]);
    expect(io.slept).toEqual([2000]);
    expect(results[0]).toMatchObject({ ok: true, duration_ms: 2000 });
  });
});

describe('scenario engine: what cannot start, and callers sharing a peer', () => {
  it('a node unreachable before the first step fails the scenario with every step reported', async () => {
    const io = new FakeIO((c) => (c.command.startsWith('for f in') && c.node === 'p2' ? { code: 255, stderr: 'connection reset' } : undefined));
    const { results } = await run([{ run: { on: 'manager', cmd: 'x' } }, { wait: '1s' }], undefined, io);
    expect(results.map((r) => [r.skipped, r.reason])).toEqual([
      [true, 'the scenario could not start: mark on p2 failed: connection reset'],
      [true, 'the scenario could not start: mark on p2 failed: connection reset'],
    ]);
    expect(io.nodeCommands()).toEqual([]);
  });

  it('callers of one peer run in turn, each with its own packet count', async () => {
    const order: string[] = [];
    const { results } = await run([{ run: { on: 'role:relay', cmd: 'x', peer: 'manager' } }], (c) => {
      order.push(`${c.node}:${c.command.includes('VT_SEEN') ? 'arm' : c.command.startsWith('nft list counter') ? 'read' : c.asNode ? 'run' : 'other'}`);
      return c.command.startsWith('nft list counter') ? { stdout: 'packets 2 bytes 1' } : undefined;
    });
    expect(order.filter((o) => !o.endsWith('other'))).toEqual(['manager:arm', 'p1:run', 'manager:read', 'manager:arm', 'p2:run', 'manager:read']);
    expect(results[0]).toMatchObject({ ok: true, peer_packets: 4 });
  });

  it('without nft on the machines a peer step says it has no path evidence', async () => {
    const { results } = await run([{ run: { on: 'p1', cmd: 'x', peer: 'manager' } }], undefined, new FakeIO(), false);
    expect(results[0]).toMatchObject({ ok: true, output: '(no path evidence: nft is not available on the machines)' });
  });
});

describe('scenario engine: interrupted', () => {
  it('a Ctrl-C mid-scenario stops it and still heals the partition and stops background processes', async () => {
    const controller = new AbortController();
    const io = new FakeIO();
    io.sleep = async () => {
      controller.abort(new Error('interrupted by SIGINT'));
      throw new Error('interrupted by SIGINT');
    };
    const ctx: EngineContext = { io, fleet, binPath: () => '/bin/app', log: () => undefined, nft: true, signal: controller.signal };
    const steps = scenario([{ background: { on: 'p1', cmd: 'x', name: 'w' } }, { partition: { groups: [['manager'], ['agent']] } }, { wait: '1h' }, { run: { on: 'manager', cmd: 'never' } }]);
    await expect(runScenario(ctx, 'demo', steps, () => undefined)).rejects.toThrow('interrupted by SIGINT');
    expect(io.calls.filter((c) => c.command.includes('nft delete table inet vtpart')).map((c) => c.node).sort()).toEqual(['agent', 'manager']);
    expect(io.stopped).toEqual([{ node: 'p1', name: 'bg-w' }]);
    expect(io.nodeCommands()).toEqual([]);
  });
});
