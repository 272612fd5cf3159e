import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SUBNET_COUNT } from '../../../src/lab/addresses.js';
import { claimSubnet, listSubnetClaims, releaseSubnets } from '../../../src/lab/subnet-claim.js';

describe('subnet claims', () => {
  let dir = '';
  const none = async () => false;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vt-claims-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('concurrent claims all get distinct subnets, recorded with their owner', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `run${i}`);
    const indices = await Promise.all(ids.map((id) => claimSubnet(id, { dir, runHasNamespaces: none })));
    expect(new Set(indices).size).toBe(ids.length);
    const claims = await listSubnetClaims(dir);
    expect(claims.map((c) => c.runId).sort()).toEqual([...ids].sort());
    expect(claims.every((c) => c.pid === process.pid)).toBe(true);
  });

  it('skips /24s already used by addresses of the root namespace', async () => {
    const index = await claimSubnet('r', { dir, runHasNamespaces: none, rootAddresses: async () => ['198.18.0.1', '198.18.1.77', '10.0.0.1'] });
    expect(index).toBe(2);
  });

  it('releases only the given run’s claims and frees the index for reuse', async () => {
    const a = await claimSubnet('a', { dir, runHasNamespaces: none });
    const b = await claimSubnet('b', { dir, runHasNamespaces: none });
    expect(await releaseSubnets('a', { dir })).toEqual([a]);
    expect(await releaseSubnets('a', { dir })).toEqual([]);
    expect((await listSubnetClaims(dir)).map((c) => c.runId)).toEqual(['b']);
    expect(await claimSubnet('c', { dir, runHasNamespaces: none })).toBe(a);
    expect(b).not.toBe(a);
  });

  it('when all are taken, takes over only a stale claim (old, and its run has no namespaces)', async () => {
    const now = Date.now();
    for (let i = 0; i < SUBNET_COUNT; i++) {
      await mkdir(path.join(dir, String(i)));
      const runId = i === 300 ? 'dead' : i === 100 ? 'oldalive' : `fresh${i}`;
      const createdAt = i === 300 || i === 100 ? now - 600_000 : now;
      await writeFile(path.join(dir, String(i), 'owner.json'), JSON.stringify({ runId, pid: 1, createdAt }));
    }
    const alive = new Set(['oldalive']);
    const index = await claimSubnet('newcomer', { dir, runHasNamespaces: async (id) => alive.has(id) || id.startsWith('fresh') });
    expect(index).toBe(300);
    expect((await listSubnetClaims(dir)).find((c) => c.index === 300)?.runId).toBe('newcomer');
    await expect(claimSubnet('another', { dir, runHasNamespaces: async () => true })).rejects.toThrow(/no free lab subnet/);
  });
});
