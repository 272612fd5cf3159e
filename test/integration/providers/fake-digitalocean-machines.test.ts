// The fake DigitalOcean's droplets are real machines: user_data applied as cloud-init would
// (our host key, the authorized key, the NAT recipe), private /etc/ssh, gone when destroyed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNatScript } from '../../../src/lab/recipes/nat-machine.js';
import { DigitalOceanApi } from '../../../src/providers/digitalocean/api.js';
import { renderUserData } from '../../../src/providers/digitalocean/cloud-init.js';
import { createDoClient } from '../../../src/providers/digitalocean/client.js';
import { LabMachines } from '../../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../../fakes/digitalocean/server.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping fake DigitalOcean machine tests: they need root (network namespaces, sshd)');

describe.skipIf(!isRoot)('fake DigitalOcean droplets are lab machines', () => {
  let dir: string;
  let fake: FakeDigitalOcean;
  let machines: LabMachines;
  let api: DigitalOceanApi;
  const ssh = (ip: string, cmd: string) =>
    execFileSync('ssh', ['-i', join(dir, 'client'), '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `root@${ip}`, cmd], { encoding: 'utf8' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vt-fake-do-'));
    machines = await LabMachines.start({ root: join(dir, 'machines') });
    fake = new FakeDigitalOcean({ machines });
    await fake.start();
    api = new DigitalOceanApi(createDoClient({ token: fake.token, baseUrl: fake.url }));
    for (const k of ['client', 'host']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('boots a NAT droplet from user_data, verified host key, host /etc/ssh untouched; destroy removes it', async () => {
    const hostEtc = statSync('/etc/ssh').mtimeMs;
    const key = await api.createSshKey('t', readFileSync(join(dir, 'client.pub'), 'utf8'));
    const hostPub = readFileSync(join(dir, 'host.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const natScript = renderNatScript({ nat: 'symmetric', hostNs: 'vtnode', wan: 'eth0', lanRouterIp: '10.200.0.1', lanHostIp: '10.200.0.2', lanPrefixLen: 24, sshFrom: [], netem: false });
    const userData = renderUserData({ hostKey: { privateKey: readFileSync(join(dir, 'host'), 'utf8'), publicKey: hostPub }, droplets: [{ hostname: 'n1', workdir: '/root/vps-test/n1', natScript }] });
    const [d] = await api.createDroplets({ names: ['n1'], region: 'nyc3', size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', sshKeys: [key.id as number], tags: ['t1'], userData });
    let ip: string | undefined;
    for (let i = 0; i < 100 && !ip; i++) {
      const [now] = await api.dropletsByTag('t1');
      if (now?.status === 'active') ip = now.networks.v4?.[0]?.ip_address;
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(ip).toBeDefined();
    writeFileSync(join(dir, 'known_hosts'), `${ip} ${hostPub}\n`);
    expect(ssh(ip as string, 'cat /etc/ssh/ssh_host_ed25519_key.pub').trim()).toBe(hostPub);
    expect(ssh(ip as string, 'test -d /root/vps-test/n1 && test -e /root/vps-test/ready && hostname').trim()).toBe('n1');
    // the node's namespace sits behind the rendered NAT: its default route is the router
    expect(ssh(ip as string, 'ip netns exec vtnode ip route')).toMatch(/default via 10\.200\.0\.1/);
    expect(ssh(ip as string, 'nft list tables')).toMatch(/table ip /);
    expect(readFileSync('/etc/ssh/sshd_config', 'utf8')).not.toContain('vps-test lab machine');
    expect(statSync('/etc/ssh').mtimeMs).toBe(hostEtc);
    expect(await machines.namespaces()).toHaveLength(1);
    await api.deleteDroplet(d?.id as number);
    expect(await machines.namespaces()).toEqual([]);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`d${d?.id}.boot.sh`);
    fake.assertNoViolations();
  });
});
