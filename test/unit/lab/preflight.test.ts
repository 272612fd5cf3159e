import { describe, expect, it } from 'vitest';
import type { Exec } from '../../../src/lab/exec.js';
import { assertPreflight, effectiveCapabilities, preflight, PreflightError } from '../../../src/lab/preflight.js';

function fakeSystem(present: string[], opts: { root?: boolean; aptWorks?: boolean } = {}) {
  const installed = new Set(present);
  const calls: string[][] = [];
  const exec: Exec = async (argv) => {
    calls.push(argv);
    if (argv.includes('install') && opts.aptWorks !== false) {
      for (const pkg of argv.slice(argv.indexOf('--no-install-recommends') + 1)) {
        if (pkg === 'openssh-server') installed.add('sshd');
        if (pkg === 'coturn') ['turnserver', 'turnutils_natdiscovery'].forEach((c) => installed.add(c));
        if (pkg === 'conntrack') installed.add('conntrack');
        if (pkg === 'iptables') installed.add('iptables-nft');
      }
      return { code: 0, stdout: '', stderr: '' };
    }
    return { code: opts.aptWorks === false ? 100 : 0, stdout: '', stderr: 'E: Unable to locate package' };
  };
  return {
    calls,
    options: {
      exec,
      resolve: async (c: string) => (installed.has(c) ? `/usr/bin/${c}` : undefined),
      privileged: async () => ({ root: opts.root ?? true, netAdmin: opts.root ?? true, sysAdmin: opts.root ?? true }),
    },
  };
}

const BASE = ['ip', 'tc', 'nft', 'ssh-keygen', 'apt-get'];

describe('lab preflight', () => {
  it('passes when root and every command exists, without installing anything', async () => {
    const sys = fakeSystem([...BASE, 'sshd', 'conntrack']);
    const result = await preflight(sys.options);
    expect(result).toMatchObject({ ok: true, root: true, missing: [], installed: [] });
    expect(result.paths.sshd).toBe('/usr/bin/sshd');
    expect(sys.calls).toEqual([]);
  });

  it('installs missing packages with apt-get when root, then finds the commands', async () => {
    const sys = fakeSystem(BASE);
    const result = await preflight({ ...sys.options, forTests: true });
    expect(result.ok).toBe(true);
    expect(result.installed).toEqual(['openssh-server', 'conntrack', 'coturn', 'iptables']);
    expect(sys.calls.at(-1)).toEqual(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', 'openssh-server', 'conntrack', 'coturn', 'iptables']);
  });

  it('says exactly what to install when it cannot', async () => {
    const sys = fakeSystem(BASE.filter((c) => c !== 'apt-get'));
    const result = await preflight(sys.options);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['missing commands: sshd (openssh-server), conntrack (conntrack); install them with: sudo apt-get install -y openssh-server conntrack']);
    expect(() => assertPreflight(result)).toThrow(PreflightError);
  });

  it('reports a failed apt-get and a missing privilege', async () => {
    const sys = fakeSystem(BASE, { aptWorks: false });
    const failed = await preflight(sys.options);
    expect(failed.problems[0]).toMatch(/^apt-get install openssh-server conntrack failed/);
    const unprivileged = await preflight(fakeSystem([...BASE, 'sshd', 'conntrack'], { root: false }).options);
    expect(unprivileged.problems).toEqual([expect.stringMatching(/needs root \(or CAP_NET_ADMIN and CAP_SYS_ADMIN\)/)]);
  });

  it('reads CAP_NET_ADMIN and CAP_SYS_ADMIN from /proc/self/status', () => {
    expect(effectiveCapabilities('CapEff:\t000001ffffffffff\n')).toEqual({ netAdmin: true, sysAdmin: true });
    expect(effectiveCapabilities('CapEff:\t0000000000001000\n')).toEqual({ netAdmin: true, sysAdmin: false });
    expect(effectiveCapabilities('CapEff:\t0000000000000000\n')).toEqual({ netAdmin: false, sysAdmin: false });
  });
});
