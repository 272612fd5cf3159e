import { describe, expect, it } from 'vitest';
import { archOf, labFleet } from '../../../src/lab/fleet.js';
import { publicKeyOf, renderKnownHosts } from '../../../src/lab/keys.js';
import { parseNetnsList } from '../../../src/lab/namespaces.js';
import { renderSshdConfig } from '../../../src/lab/sshd.js';
import { planTopology } from '../../../src/lab/topology.js';

describe('sshd config', () => {
  it('key auth only, for the run’s key, with pid and log in the lab', () => {
    const text = renderSshdConfig(
      { listen: ['198.18.0.10', '198.18.0.11'], port: 22, configPath: '/l/.sshd/a.conf', pidPath: '/l/.sshd/a.pid', logPath: '/l/.sshd/a.log', hostKeyPath: '/l/keys/a.host' },
      '/l/keys/authorized_keys',
    );
    const lines = text.split('\n');
    for (const want of ['ListenAddress 198.18.0.10', 'ListenAddress 198.18.0.11', 'HostKey /l/keys/a.host', 'PidFile /l/.sshd/a.pid',
      'AuthorizedKeysFile /l/keys/authorized_keys', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', 'UseDNS no', 'Subsystem sftp internal-sftp']) {
      expect(lines).toContain(want);
    }
  });

  it('quotes paths with spaces and refuses ones sshd cannot express', () => {
    const plan = { listen: ['1.2.3.4'], port: 22, configPath: '/a b/c', pidPath: '/a b/p', logPath: '/a b/l', hostKeyPath: '/a b/k' };
    expect(renderSshdConfig(plan, '/a b/ak').split('\n')).toContain('HostKey "/a b/k"');
    expect(() => renderSshdConfig({ ...plan, pidPath: '/a"b' }, '/x')).toThrow(/sshd cannot use the path/);
  });
});

describe('keys', () => {
  it('strips the comment from a public key line and refuses garbage', () => {
    expect(publicKeyOf('ssh-ed25519 AAAAC3Nza key-comment\n')).toBe('ssh-ed25519 AAAAC3Nza');
    expect(() => publicKeyOf('garbage')).toThrow(/not an OpenSSH public key/);
  });

  it('known_hosts pins each key at all of a machine’s addresses; other ports in brackets', () => {
    expect(renderKnownHosts([
      { addresses: ['1.2.3.4', '1.2.3.5'], port: 22, hostKey: 'ssh-ed25519 A' },
      { addresses: ['1.2.3.6'], port: 2222, hostKey: 'ssh-ed25519 B' },
    ])).toBe('1.2.3.4,1.2.3.5 ssh-ed25519 A\n[1.2.3.6]:2222 ssh-ed25519 B\n');
  });
});

describe('lab fleet', () => {
  it('NAT’d nodes run through the host namespace and name their router; public nodes do neither', () => {
    const t = planTopology(
      [{ name: 'pub', nat: 'none', role: 'bootstrap' }, { name: 'n', nat: 'port-restricted', role: 'peer' }],
      { runId: 'f1', subnetIndex: 1, labRoot: '/lab' },
    );
    const fleet = labFleet(t, new Map([['pub', 'ssh-ed25519 P'], ['n', 'ssh-ed25519 N']]), { user: 'root', arch: 'x86_64' });
    expect(fleet).toMatchObject({ runId: 'f1', provider: 'local', clientKeyPath: '/lab/keys/client', controllerIp: '198.18.1.1' });
    expect(fleet.nodes[0]).toEqual({
      name: 'pub', role: 'bootstrap', nat: 'none', arch: 'x86_64', publicIp: '198.18.1.10', privateIp: '198.18.1.10',
      ssh: { host: '198.18.1.10', port: 22, user: 'root', hostKey: 'ssh-ed25519 P' }, workdir: '/lab/pub', execPrefix: [],
      resources: ['vtf1-n0.pub'], systemd: false,
    });
    expect(fleet.nodes[1]).toMatchObject({
      publicIp: '198.18.1.11', privateIp: '10.2.0.2', execPrefix: ['ip', 'netns', 'exec', 'vtf1-h1.n'], routerNamespace: 'vtf1-r1.n',
      resources: ['vtf1-r1.n', 'vtf1-h1.n'],
    });
    expect(() => labFleet(t, new Map(), { user: 'root', arch: 'x86_64' })).toThrow(/no host key for lab node "pub"/);
  });

  it('maps Node’s architecture names and refuses others', () => {
    expect(archOf('x64')).toBe('x86_64');
    expect(archOf('arm64')).toBe('aarch64');
    expect(() => archOf('ia32')).toThrow(/ia32/);
  });

  it('parses ip netns list output', () => {
    expect(parseNetnsList('vta-inet (id: 3)\nvta-n0.x\n\nother (id: 0)\n')).toEqual(['vta-inet', 'vta-n0.x', 'other']);
  });
});
