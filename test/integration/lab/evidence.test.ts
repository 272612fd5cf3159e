// Path evidence counters in real namespaces with real nftables: packets delivered both ways are
// counted per remote address, and a read resets them for the next round.
import { afterAll, describe, expect, it } from 'vitest';
import { systemExec } from '../../../src/lab/exec.js';
import { EvidenceCounters } from '../../../src/lab/evidence.js';
import { evidenceStep } from '../../../src/lab/recipes/evidence.js';
import { stepArgv } from '../../../src/lab/recipes/steps.js';
import { isRoot, uniqueRunId } from './helpers.js';

const id = uniqueRunId('ev');
const A = `vt${id}-a`;
const B = `vt${id}-b`;
const run = (argv: string[], input?: string) => systemExec(argv, { timeoutMs: 30_000, ...(input !== undefined && { input }) });

afterAll(async () => {
  for (const ns of [A, B]) await systemExec(['ip', 'netns', 'del', ns], { allowFailure: true });
});

describe.skipIf(!isRoot)('path evidence counters (nft, namespaces)', () => {
  it('counts UDP delivered between two machines, by address; each read gives what came since the last', async () => {
    await run(['ip', 'netns', 'add', A]);
    await run(['ip', 'netns', 'add', B]);
    await run(['ip', '-n', A, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B]);
    for (const [ns, ip] of [[A, '198.51.100.1'], [B, '198.51.100.2']] as const) {
      await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      const step = evidenceStep(ns, { publicIface: 'eth0', routed: false });
      await run(stepArgv(step), step.input);
    }
    const counters = new EvidenceCounters(['a', 'b'], async (node, argv) => (await run(['ip', 'netns', 'exec', node === 'a' ? A : B, ...argv])).stdout);
    const send = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(4): s.sendto(b'x',('198.51.100.2',9))`;
    await run(['ip', 'netns', 'exec', A, 'python3', '-c', send]);
    const first = await counters.read();
    expect(first.get('a')?.out.get('198.51.100.2')).toBe(4);
    expect(first.get('b')?.in.get('198.51.100.1')).toBe(4);
    const second = await counters.read();
    expect(second.get('a')?.out.size).toBe(0);
    expect(second.get('b')?.in.size).toBe(0);
  });
});
