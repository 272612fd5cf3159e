import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertDelayPossible, DelayUnsupportedError } from '../../../src/lab/delayer.js';
import type { Exec } from '../../../src/lab/exec.js';
import { resolveCommand } from '../../../src/lab/preflight.js';

const hasIptables = (await resolveCommand('iptables-nft')) !== undefined;

describe('the lab delayer: a clear error where delay is impossible, never a silent no-op', () => {
  it.skipIf(!hasIptables)('a kernel without the NFQUEUE target is named, and the scratch namespace is removed', async () => {
    const calls: string[][] = [];
    const exec: Exec = async (argv) => {
      calls.push(argv);
      if (argv.includes('iptables-nft')) return { code: 1, stdout: '', stderr: 'Extension NFQUEUE revision 0 not supported, missing kernel module?\n' };
      return { code: 0, stdout: '', stderr: '' };
    };
    const err = await assertDelayPossible(exec, { probeDir: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelayUnsupportedError);
    expect((err as Error).message).toMatch(/NFQUEUE target \(CONFIG_NETFILTER_XT_TARGET_NFQUEUE.*missing kernel module/);
    const added = calls.find((c) => c.join(' ').startsWith('ip netns add'))?.[3];
    expect(added).toMatch(/^vtnfqprobe[0-9a-f]{8}-inet$/); // named like a lab: `vps-test down` would find it
    expect(calls.at(-1)).toEqual(['ip', 'netns', 'del', added]);
  });

  it.skipIf(!hasIptables)('a successful probe is remembered for this boot: the next lab runs no probe; a failed one is not remembered', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-nfqprobe-'));
    try {
      const calls: string[][] = [];
      const ok: Exec = async (argv) => (calls.push(argv), { code: 0, stdout: '', stderr: '' });
      await assertDelayPossible(ok, { probeDir: dir });
      expect(calls.length).toBe(3); // netns add, iptables-nft, netns del
      expect((await readdir(dir))[0]).toMatch(/^nfqueue-ok-[0-9a-f-]{36}$/);
      await assertDelayPossible(ok, { probeDir: dir });
      expect(calls.length).toBe(3);
      const other = await mkdtemp(path.join(os.tmpdir(), 'vt-nfqprobe-'));
      const failing: Exec = async (argv) => ({ code: argv.includes('iptables-nft') ? 1 : 0, stdout: '', stderr: 'no\n' });
      await expect(assertDelayPossible(failing, { probeDir: other })).rejects.toThrow(DelayUnsupportedError);
      expect(await readdir(other)).toEqual([]);
      await rm(other, { recursive: true, force: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
