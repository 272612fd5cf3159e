// The droplets' user_data (what the provider sends) and the fake's reading of it (what a
// droplet does with it): per-hostname setup, NAT script, refusals of what the fake cannot do.
import { describe, expect, it } from 'vitest';
import { renderNatScript } from '../../../src/lab/recipes/nat-machine.js';
import { renderEvidenceRuleset } from '../../../src/lab/recipes/evidence.js';
import { READY_FILE, renderSetupScript, renderUserData } from '../../../src/providers/digitalocean/cloud-init.js';
import { parseCloudConfig, renderBootScript } from '../../fakes/digitalocean/cloud-init.js';

const hostKey = { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey' };
const nat = renderNatScript({ nat: 'full-cone', hostNs: 'vtnode', wan: 'eth0', lanRouterIp: '10.200.0.1', lanHostIp: '10.200.0.2', lanPrefixLen: 24, sshFrom: [], netem: true });

describe('droplet user_data', () => {
  it('carries the host key, one NAT file per NAT droplet and a setup that picks by hostname', () => {
    const text = renderUserData({ hostKey, droplets: [{ hostname: 'vt-r1-a', workdir: '/root/vps-test/a' }, { hostname: 'vt-r1-b', workdir: '/root/vps-test/b', natScript: nat }] });
    const parsed = parseCloudConfig(text);
    expect(parsed.hostKey).toEqual(hostKey);
    expect(parsed.files.map((f) => f.path)).toEqual(['/root/vps-test/nat-vt-r1-b.sh', '/root/vps-test/setup.sh']);
    expect(parsed.files[0]?.content).toBe(nat);
    expect(parsed.runcmd).toEqual(['sh /root/vps-test/setup.sh']);
    const setup = renderSetupScript([{ hostname: 'vt-r1-a', workdir: '/root/vps-test/a' }, { hostname: 'vt-r1-b', workdir: '/root/vps-test/b', natScript: nat }]);
    expect(setup).toMatch(/vt-r1-a\)\n {4}mkdir -p \/root\/vps-test\/a\n {4};;/);
    expect(setup).toMatch(/vt-r1-b\)\n {4}mkdir -p \/root\/vps-test\/b\n {4}sh \/root\/vps-test\/nat-vt-r1-b.sh/);
    expect(setup).toMatch(/\*\) echo .*not in its own user_data.*exit 1/);
    expect(setup.trim().endsWith(`touch ${READY_FILE}`)).toBe(true);
  });

  it('every droplet gets its evidence counters; nft and conntrack are installed before the setup runs', () => {
    const evidence = renderEvidenceRuleset({ publicIface: 'eth0', routed: true });
    const droplets = [
      { hostname: 'vt-r1-a', workdir: '/root/vps-test/a', evidenceRuleset: renderEvidenceRuleset({ publicIface: 'eth0', routed: false }) },
      { hostname: 'vt-r1-b', workdir: '/root/vps-test/b', natScript: nat, evidenceRuleset: evidence },
    ];
    const parsed = parseCloudConfig(renderUserData({ hostKey, droplets }));
    expect(parsed.packageCommands).toEqual(['nft', 'conntrack']);
    expect(parsed.files.map((f) => f.path)).toEqual(['/root/vps-test/nat-vt-r1-b.sh', '/root/vps-test/evidence-vt-r1-a.nft', '/root/vps-test/evidence-vt-r1-b.nft', '/root/vps-test/setup.sh']);
    expect(parsed.files[2]?.content).toBe(evidence);
    expect(evidence).toMatch(/hook forward/);
    // the counters after the NAT (their filter chain comes later anyway, by priority)
    expect(renderSetupScript(droplets)).toMatch(/vt-r1-b\)\n {4}mkdir -p \/root\/vps-test\/b\n {4}sh \/root\/vps-test\/nat-vt-r1-b.sh\n {4}nft -f \/root\/vps-test\/evidence-vt-r1-b.nft/);
    // public droplets only: nft, no conntrack (nothing to flush)
    expect(parseCloudConfig(renderUserData({ hostKey, droplets: [droplets[0] as (typeof droplets)[0]] })).packageCommands).toEqual(['nft']);
    const boot = renderBootScript({ hostname: 'vt-r1-b', config: parsed, authorizedKeys: [], sshdConfig: '', sshdPath: '/usr/sbin/sshd', reachable: true });
    expect(boot.indexOf('command -v conntrack')).toBeLessThan(boot.indexOf('sh /root/vps-test/setup.sh'));
  });

  it('the fake refuses cloud-config it does not implement and files outside the droplet', () => {
    expect(() => parseCloudConfig('#cloud-config\nbootcmd: [reboot]\n')).toThrow(/not supported by the fake: bootcmd/);
    expect(() => parseCloudConfig('#cloud-config\npackages: [nginx]\n')).toThrow(/package "nginx" is not one the fake knows \(nftables, conntrack\)/);
    expect(() => parseCloudConfig('#cloud-config\nwrite_files: [{ path: /etc/passwd, content: x }]\n')).toThrow(/outside \/etc\/ssh, \/root, \/run\/netns/);
    expect(() => parseCloudConfig('#!/bin/sh\necho hi\n')).toThrow(/not #cloud-config/);
  });

  it('the boot script mounts private dirs before writing, and a mute droplet starts no sshd', () => {
    const config = parseCloudConfig(renderUserData({ hostKey, droplets: [{ hostname: 'x', workdir: '/root/vps-test/x' }] }));
    const boot = renderBootScript({ hostname: 'x', config, authorizedKeys: ['ssh-ed25519 AAAA client'], sshdConfig: 'Port 22\n', sshdPath: '/usr/sbin/sshd', reachable: true });
    expect(boot.indexOf('mount -t tmpfs -o mode=0755 vt-droplet /etc/ssh')).toBeLessThan(boot.indexOf('/etc/ssh/ssh_host_ed25519_key'));
    expect(boot).toContain('exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config');
    expect(renderBootScript({ hostname: 'x', config, authorizedKeys: [], sshdConfig: '', sshdPath: '/usr/sbin/sshd', reachable: false })).not.toContain('sshd -D');
  });
});
