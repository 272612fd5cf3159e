// A node that stops answering SSH is marked unreachable after a bounded number of failed
// operations; then every operation on it fails at once, naming it and since when.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeUnreachableError, SshPool, type Unreachable } from '../../../src/ssh/index.js';
import { deadFleet, workDir } from './helpers.js';

const dir = workDir('vt-unreach-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SshPool unreachable nodes', () => {
  it('marks a node unreachable after two transport failures and then fails fast', async () => {
    const fleet = deadFleet('unreach', dir);
    const pool = SshPool.forFleet(fleet, { connectTimeoutMs: 2000 });
    const seen: Unreachable[] = [];
    pool.onUnreachable((u) => seen.push(u));
    const node = fleet.nodes[0]!;
    await expect(pool.exec(node, 'true')).rejects.toThrow(/cannot connect to node "boot"/);
    expect(pool.unreachable(node)).toBeUndefined();
    await expect(pool.exec(node, 'true')).rejects.toThrow(/cannot connect/);
    expect(pool.unreachable(node)).toMatchObject({ node: 'boot', reason: expect.stringMatching(/ECONNREFUSED/) });
    const started = Date.now();
    const err = await pool.exec(node, 'true').catch((e: Error) => e);
    expect(err).toBeInstanceOf(NodeUnreachableError);
    expect((err as Error).message).toMatch(/node "boot" unreachable since \d{4}-\d\d-\d\dT/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen.map((u) => u.node)).toEqual(['boot']);
    expect(pool.unreachableNodes().map((u) => u.node)).toEqual(['boot']);
    expect(pool.unreachable(fleet.nodes[1]!)).toBeUndefined(); // the other node is judged on its own
    await pool.close();
  });

  it('an aborted pool rejects without counting the node as unreachable', async () => {
    const fleet = deadFleet('unreach2', dir);
    const ac = new AbortController();
    ac.abort();
    const pool = SshPool.forFleet(fleet, { signal: ac.signal });
    for (let i = 0; i < 3; i++) await expect(pool.exec(fleet.nodes[0]!, 'true')).rejects.toThrow(/aborted/);
    expect(pool.unreachableNodes()).toEqual([]);
    await pool.close();
  });
});
