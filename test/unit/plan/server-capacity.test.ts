import { describe, expect, it } from 'vitest';
import { serveCapacityArgv, serverCapacity } from '../../../src/plan/server-capacity.js';

describe('server capacity from the plan', () => {
  it('holds two rounds of the biggest suite, sessions living one attempt and a sweep', () => {
    // 100 nodes, every ordered pair in a round: 9,900 sessions.
    const c = serverCapacity([{ pairsPerRound: 9900, timeoutMs: 3000 }, { pairsPerRound: 30, timeoutMs: 8000 }]);
    expect(c).toEqual({ maxSessions: 2 * 9900 + 256, sessionTtlMs: 8000 + 500 + 1000 });
    expect(serveCapacityArgv(c)).toEqual(['--max-sessions', '20056', '--session-ttl-ms', '9500']);
  });

  it('the default example needs a small table', () => {
    expect(serverCapacity([{ pairsPerRound: 30, timeoutMs: 3000 }])).toEqual({ maxSessions: 316, sessionTtlMs: 4500 });
  });

  it('a plan without pair suites still starts a valid server', () => {
    const c = serverCapacity([]);
    expect(c.maxSessions).toBeGreaterThan(0);
    expect(c.sessionTtlMs).toBeGreaterThanOrEqual(100); // the agent refuses less
  });
});

describe('server capacity of a plan', () => {
  it('counts pair suites only, each round holding all of a suite\'s pairs', async () => {
    const { serverCapacityOf } = await import('../../../src/plan/server-capacity.js');
    const pairs = (n: number) => Array.from({ length: n }, (_, i) => ({ from: `a${i}`, to: 'b' }));
    expect(serverCapacityOf([{ pairs: pairs(30), timeoutMs: 3000 }, { pairs: [] }, { pairs: pairs(12) }])).toEqual({ maxSessions: 316, sessionTtlMs: 4500 });
  });

  it('a rotated suite holds its rotation share of pairs per round, not all of them', async () => {
    const { serverCapacityOf } = await import('../../../src/plan/server-capacity.js');
    const pairs = Array.from({ length: 9900 }, (_, i) => ({ from: `a${i}`, to: 'b' }));
    expect(serverCapacityOf([{ pairs, timeoutMs: 3000, rotation: { pairsPerRound: 1000 } }]).maxSessions).toBe(2 * 1000 + 256);
  });
});
