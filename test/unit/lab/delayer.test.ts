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
    const err = await assertDelayPossible(exec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DelayUnsupportedError);
    expect((err as Error).message).toMatch(/NFQUEUE target \(CONFIG_NETFILTER_XT_TARGET_NFQUEUE.*missing kernel module/);
    const added = calls.find((c) => c.join(' ').startsWith('ip netns add'))?.[3];
    expect(added).toMatch(/^vtnfqprobe[0-9a-f]{8}-inet$/); // named like a lab: `vps-test down` would find it
    expect(calls.at(-1)).toEqual(['ip', 'netns', 'del', added]);
  });
});
