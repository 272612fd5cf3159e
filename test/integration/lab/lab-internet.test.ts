// The lab's internet with distance: a packet crosses `hops` routers (a low TTL dies on the
// way, a normal one arrives), and the round trip between two machines is the configured one,
// also per region pair and through a NAT; jitter (a region pair's, a node's own) spreads the
// round trips within its bound and never reorders. Real netns, nftables, NFQUEUE delayer.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../../src/lab/lab.js';
import { expectNoLeaks, isRoot, Probe, runProbe, uniqueRunId } from './helpers.js';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe.skipIf(!isRoot)('lab internet: hops and round trips (real netns, nftables, NFQUEUE)', () => {
  const runId = uniqueRunId('inet');
  let tmp = '';
  let lab: Lab;
  const ns = (name: string) => {
    const m = lab.topology.machines.find((x) => x.node === name);
    return (m?.hostNamespace ?? m?.machineNamespace) as string;
  };
  const ip = (name: string) => lab.fleet.nodes.find((n) => n.name === name)?.publicIp as string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-inet-'));
    lab = await createLab({
      runId,
      labRoot: path.join(tmp, 'lab'),
      nodes: [
        { name: 'eu1', nat: 'none', role: 'bootstrap', region: 'eu' },
        { name: 'pub', nat: 'none', role: 'peer' },
        { name: 'us1', nat: 'none', role: 'peer', region: 'us' },
        { name: 'fc', nat: 'full-cone', role: 'peer' },
        { name: 'shaky', nat: 'none', role: 'peer', impair: { delayMs: 10, jitterMs: 8 } },
        { name: 'ap1', nat: 'none', role: 'peer', region: 'ap' },
      ],
      internet: { hops: 12, rttMs: 40, regions: [{ between: ['eu', 'us'], rttMs: 100 }, { between: ['eu', 'ap'], rttMs: 60, jitterMs: 20 }] },
    });
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await expectNoLeaks(runId, [runId]);
  }, 60_000);

  async function delivered(ttl: number): Promise<number> {
    const listener = Probe.node(ns('pub'), 'udp-listen', 7000 + ttl, 3000);
    await listener.waitFor((e) => e.event === 'ready');
    await runProbe(ns('eu1'), 'udp-ttl', ip('pub'), 7000 + ttl, ttl, 10);
    await listener.exited;
    return listener.events.filter((e) => e.event === 'recv').length;
  }

  it('12 hops: TTL 5 and 12 die in transit, TTL 13 and 64 arrive', async () => {
    // one listener port per TTL: all four at once
    const [ttl5, ttl12, ttl13, ttl64] = await Promise.all([delivered(5), delivered(12), delivered(13), delivered(64)]);
    expect(ttl5).toBe(0);
    expect(ttl12).toBe(0);
    expect(ttl13).toBeGreaterThan(0);
    expect(ttl64).toBeGreaterThan(0);
  });

  async function rtts(from: string, to: string): Promise<number[]> {
    const echo = Probe.node(ns(to), 'udp-listen', 7100, 20_000, 'echo');
    await echo.waitFor((e) => e.event === 'ready');
    try {
      const events = await runProbe(ns(from), 'udp-rtt', ip(to), 7100, 21);
      const rtts = (events.find((e) => e.event === 'rtt')?.rtts as number[]) ?? [];
      expect(rtts.length, `${from} -> ${to}: round trips measured`).toBe(21);
      return rtts;
    } finally {
      echo.kill();
    }
  }
  /**
   * The delayer never releases a packet early, and a loaded machine (other labs, VMs) only adds
   * to a round trip: the fastest of 21 is the path's own, the median is logged beside it.
   */
  async function expectRtt(from: string, to: string, configuredMs: number, what: string): Promise<void> {
    const v = await rtts(from, to);
    console.log(`${what}: round trip min ${Math.min(...v).toFixed(1)} ms, median ${median(v).toFixed(1)} ms (configured ${configuredMs} ms)`);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(configuredMs - 0.5);
    expect(Math.min(...v)).toBeLessThan(configuredMs * 1.1);
  }

  it('round trip between two public nodes is the configured 40 ms (within 10%)', async () => {
    await expectRtt('pub', 'eu1', 40, 'pub <-> eu1');
  });

  it('a region pair has its own round trip (eu <-> us 100 ms), a NAT adds none of its own', async () => {
    await Promise.all([expectRtt('eu1', 'us1', 100, 'eu1 <-> us1'), expectRtt('fc', 'pub', 40, 'fc (behind its NAT) <-> pub')]);
  });

  // Jitter is a spread, so these look at the smallest round trip (the delayer never releases a
  // packet early: a load spike can only add) and at the spread, not at exact times.
  it('jitter: a node’s own (10 ms +- 8 ms on what it sends) and a region pair’s (60 ms +- 20 ms) spread the round trips within their bounds', async () => {
    const spread = (v: number[]) => Math.max(...v) - Math.min(...v);
    // three echo servers on three different machines: measured at once
    const [own, pair, steady] = await Promise.all([rtts('shaky', 'pub'), rtts('eu1', 'ap1'), rtts('pub', 'eu1')]);
    console.log(`jitter: shaky <-> pub ${Math.min(...own).toFixed(1)}-${Math.max(...own).toFixed(1)} ms (median ${median(own).toFixed(1)}, configured 50 +- 8), eu1 <-> ap1 ${Math.min(...pair).toFixed(1)}-${Math.max(...pair).toFixed(1)} ms (median ${median(pair).toFixed(1)}, configured 60 +- 20), no jitter pub <-> eu1 spread ${spread(steady).toFixed(1)} ms`);
    // never below delay - jitter; some below the base delay (the jitter goes both ways: the
    // chance that none of 21 uniform draws falls below the middle is 2^-21); a real spread
    expect(Math.min(...own)).toBeGreaterThanOrEqual(41.5);
    expect(Math.min(...own)).toBeLessThan(50);
    expect(spread(own)).toBeGreaterThan(6);
    expect(Math.min(...pair)).toBeGreaterThanOrEqual(39.5);
    expect(Math.min(...pair)).toBeLessThan(60);
    expect(spread(pair)).toBeGreaterThan(15);
  });

  it('jitter never reorders: packets sent 10 ms apart through a +-8 ms jitter arrive in the order sent', async () => {
    const listener = Probe.node(ns('pub'), 'udp-listen', 7200, 1800);
    await listener.waitFor((e) => e.event === 'ready');
    await runProbe(ns('shaky'), 'udp-send', ip('pub'), 7200, 60, 900);
    await listener.exited;
    const order = listener.events.filter((e) => e.event === 'recv').map((e) => Number(String(e.data).replace('probe-', '')));
    expect(order.length).toBeGreaterThan(50);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});
