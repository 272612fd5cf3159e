import { describe, expect, it } from 'vitest';
import { inetSteps, machineSteps, planTopology, type LabNodeSpec } from '../../../src/lab/topology.js';

const NODES: LabNodeSpec[] = [
  { name: 'stun', nat: 'none', role: 'bootstrap', publicAddresses: 2 },
  { name: 'peer-a', nat: 'full-cone', role: 'peer' },
  { name: 'peer-b', nat: 'symmetric', role: 'peer', impair: { lossPercent: 1 } },
  { name: 'pub', nat: 'none', role: 'relay', impair: { rateKbit: 1000 } },
];
const plan = () => planTopology(NODES, { runId: 'r1', subnetIndex: 7, labRoot: '/lab' });

describe('lab topology', () => {
  it('gives each node its namespaces, addresses and paths', () => {
    const t = plan();
    expect(t.inetNamespace).toBe('vtr1-inet');
    expect(t.subnet.cidr).toBe('198.18.7.0/24');
    const [stun, a, b, pub] = t.machines;
    expect(stun).toMatchObject({ machineNamespace: 'vtr1-n0.stun', publicIps: ['198.18.7.10', '198.18.7.11'], privateIp: '198.18.7.10' });
    expect(stun?.hostNamespace).toBeUndefined();
    expect(a).toMatchObject({
      machineNamespace: 'vtr1-r1.peer_a', hostNamespace: 'vtr1-h1.peer_a', namespaces: ['vtr1-r1.peer_a', 'vtr1-h1.peer_a'],
      publicIps: ['198.18.7.12'], privateIp: '10.2.0.2', workdir: '/lab/peer-a', bridgePort: 'p1',
    });
    expect(b?.lan?.routerIp).toBe('10.3.0.1');
    expect(pub?.publicIps).toEqual(['198.18.7.14']);
    expect(a?.sshd).toEqual({
      listen: ['198.18.7.12'], port: 22, configPath: '/lab/.sshd/peer-a.conf', pidPath: '/lab/.sshd/peer-a.pid',
      logPath: '/lab/.sshd/peer-a.log', hostKeyPath: '/lab/keys/peer-a.host',
    });
    expect(t.clientKeyPath).toBe('/lab/keys/client');
  });

  it('every interface name fits in 15 characters and no address is used twice', () => {
    const t = plan();
    const steps = [...inetSteps(t), ...t.machines.flatMap((m) => machineSteps(t, m, { netem: false }))];
    const linkAdds = steps.filter((s) => s.argv.includes('link') && s.argv.includes('add') && s.argv.includes('type'));
    const names = linkAdds.flatMap((s) => {
      const a = s.argv;
      return [a[a.indexOf('add') + 1], ...(a.includes('name') ? [a[a.indexOf('name') + 1]] : [])] as string[];
    });
    expect(names).toHaveLength(1 + 2 + 4 * 2 + 2 * 2); // bridge, controller veth, 4 machine veths, 2 LAN veths
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(15);
    const addrs = steps.filter((s) => s.argv.includes('addr')).map((s) => s.argv[s.argv.indexOf('add') + 1]);
    expect(new Set(addrs).size).toBe(addrs.length);
  });

  it('the internet is a bridge holding the gateway; the controller veth joins it from the root namespace', () => {
    const t = plan();
    const steps = inetSteps(t).map((s) => (s.ns ? `[${s.ns}] ` : '') + s.argv.join(' '));
    expect(steps[0]).toBe('ip netns add vtr1-inet');
    expect(steps).toContain('ip -n vtr1-inet addr add 198.18.7.254/24 dev br0');
    expect(steps).toContain(`ip link add ${t.controllerVeth} type veth peer name ctl netns vtr1-inet`);
    expect(steps).toContain(`ip addr add 198.18.7.1/24 dev ${t.controllerVeth}`);
    expect(steps).toContain('ip -n vtr1-inet link set ctl master br0');
    expect(steps).toContain('[vtr1-inet] sysctl -qw net.ipv4.ip_forward=0');
  });

  it('a NAT node: router on the bridge with wan, NAT rules in the router, host behind it', () => {
    const t = plan();
    const steps = machineSteps(t, t.machines[1]!, { netem: false });
    const text = steps.map((s) => (s.ns ? `[${s.ns}] ` : '') + s.argv.join(' '));
    expect(text).toContain('ip -n vtr1-inet link add p1 type veth peer name wan netns vtr1-r1.peer_a');
    expect(text).toContain('ip -n vtr1-inet link set p1 master br0');
    expect(text).toContain('ip -n vtr1-r1.peer_a addr add 198.18.7.12/24 dev wan');
    expect(text).toContain('ip -n vtr1-r1.peer_a route add default via 198.18.7.254');
    expect(text).toContain('ip -n vtr1-h1.peer_a route add default via 10.2.0.1');
    const nft = steps.find((s) => s.argv[0] === 'nft' && !s.input?.includes('vt_evidence'));
    expect(nft?.ns).toBe('vtr1-r1.peer_a');
    expect(nft?.input).toContain('ip saddr { 198.18.7.1 } tcp dport 22 accept');
    expect(nft?.input).toContain('@fullcone');
    // namespaces are created before anything is put into them
    expect(text.indexOf('ip netns add vtr1-r1.peer_a')).toBe(0);
    expect(text.indexOf('ip netns add vtr1-h1.peer_a')).toBeLessThan(text.findIndex((l) => l.includes('netns vtr1-h1.peer_a')) + 1);
  });

  it('a public node’s loss keeps the controller’s SSH; its rate shapes eth0 and its bridge port', () => {
    const t = plan();
    const pub = machineSteps(t, t.machines[3]!, { netem: false });
    expect(pub.filter((s) => s.argv[0] === 'tc').map((s) => [s.ns, s.argv[4]])).toEqual([['vtr1-n3.pub', 'eth0'], ['vtr1-inet', 'p3']]);
    const b = machineSteps(t, t.machines[2]!, { netem: false });
    const loss = b.filter((s) => s.argv[0] === 'nft').at(-1);
    expect(loss?.ns).toBe('vtr1-h2.peer_b'); // behind a NAT the host link is impaired; the router's sshd is untouched
    expect(loss?.input).not.toContain('tcp dport 22');
  });

  it('refuses bad specs with the node named', () => {
    const bad = (nodes: LabNodeSpec[], labRoot = '/lab') => () => planTopology(nodes, { runId: 'r', subnetIndex: 0, labRoot });
    expect(bad([])).toThrow(/at least one node/);
    expect(bad([{ name: 'a', nat: 'none', role: 'peer' }, { name: 'a', nat: 'none', role: 'peer' }])).toThrow(/"a" is used twice/);
    expect(bad([{ name: 'keys', nat: 'none', role: 'peer' }])).toThrow(/reserved/);
    expect(bad([{ name: 'a/b', nat: 'none', role: 'peer' }])).toThrow(/node name "a\/b"/);
    expect(bad([{ name: 'n', nat: 'symmetric', role: 'peer', publicAddresses: 2 }])).toThrow(/only a public node/);
    expect(bad([{ name: 'n', nat: 'none', role: 'peer', publicAddresses: 3 }])).toThrow(/1 or 2/);
    expect(bad([{ name: 'n', nat: 'none', role: 'peer' }], 'relative')).toThrow(/absolute/);
  });
});
