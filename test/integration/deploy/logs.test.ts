// collectLogs: every reachable node's logs, and a dead node recorded without stopping the rest.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectLogs } from '../../../src/deploy/index.js';
import { SshPool } from '../../../src/ssh/index.js';
import { startSshds, type SshdFleet } from '../../helpers/sshd.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping collectLogs integration tests: they start sshd and need root');

describe.skipIf(!isRoot)('collectLogs', () => {
  let sshd: SshdFleet;
  let pool: SshPool;
  let dest: string;

  beforeAll(async () => {
    sshd = await startSshds(4);
    pool = SshPool.forFleet(sshd.fleet);
    dest = mkdtempSync(path.join(os.tmpdir(), 'vt-logs-dest-'));
    for (const node of sshd.nodes) {
      mkdirSync(path.join(node.workdir, 'logs'), { recursive: true });
      writeFileSync(path.join(node.workdir, 'logs', 'agent.log'), `hello from ${node.name}\n`);
      writeFileSync(path.join(node.workdir, 'logs', 'probe.jsonl'), `{"v":1,"node":"${node.name}"}\n`);
    }
    mkdirSync(path.join(sshd.nodes[0]!.workdir, 'logs', 'subdir'));
  });

  afterAll(async () => {
    await pool?.close();
    await sshd?.cleanup();
    rmSync(dest, { recursive: true, force: true });
  });

  it('fetches every node\'s logs into dest/<node>/ and records a dead node', async () => {
    // one node without a logs dir, one node whose machine is gone
    rmSync(path.join(sshd.nodes[2]!.workdir, 'logs'), { recursive: true });
    await sshd.stopNode(sshd.nodes[3]!.name);
    const results = await collectLogs(pool, sshd.nodes, dest);
    expect(results.map((r) => [r.node, r.ok])).toEqual([
      ['n1', true],
      ['n2', true],
      ['n3', true],
      ['n4', false],
    ]);
    for (const name of ['n1', 'n2']) {
      expect(readdirSync(path.join(dest, name)).sort()).toEqual(['agent.log', 'probe.jsonl']);
      expect(readFileSync(path.join(dest, name, 'agent.log'), 'utf8')).toBe(`hello from ${name}\n`);
    }
    expect(readdirSync(path.join(dest, 'n3'))).toEqual([]);
    expect(results[3]!.error).toMatch(/cannot connect to node "n4"/);
  });
});
