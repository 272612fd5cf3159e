import { describe, expect, it } from 'vitest';
import { inetSteps, machineSteps, namespaceSteps, planTopology, type LabNodeSpec } from '../../../src/lab/topology.js';

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

  it('every interface name fits in 15 characters and no address or MAC is used twice', () => {
    const t = plan();
    const steps = [...inetSteps(t), ...t.machines.flatMap((m) => machineSteps(t, m, { netem: false }))];
    const linkAdds = steps.filter((s) => s.argv.includes('link') && s.argv.includes('add') && s.argv.includes('type'));
    const names = linkAdds.flatMap((s) => {
      const a = s.argv;
      return [a[a.indexOf('add') + 1], ...(a.includes('name') ? [a[a.indexOf('name') + 1]] : [])] as string[];
    });
    expect(names).toHaveLength(2 + 4 * 2 + 2 * 2); // controller veth, 4 machine veths, 2 LAN veths
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(15);
    // the gateway address sits on every port of the internet router (point-to-point links); nothing else repeats
    const addrs = steps.filter((s) => s.argv.includes('addr')).map((s) => s.argv[s.argv.indexOf('add') + 1]).filter((a) => a !== '198.18.7.254/32');
    expect(new Set(addrs).size).toBe(addrs.length);
    const macs = linkAdds.flatMap((s) => s.argv.flatMap((a, i) => (a === 'address' ? [s.argv[i + 1]] : [])));
    expect(macs).toHaveLength(names.length);
    expect(new Set(macs).size).toBe(macs.length);
  });

  it('every neighbour is written as a permanent entry with the MAC its peer really has (no ARP)', () => {
    const t = plan();
    const steps = [...inetSteps(t), ...t.machines.flatMap((m) => machineSteps(t, m, { netem: false }))];
    const peerMac = new Map<string, string>(); // "ns dev" -> MAC of the other end of its veth
    for (const s of steps.filter((x) => x.argv.includes('veth'))) {
      const a = s.argv;
      const near = `${a[1] === '-n' ? a[2] : 'root'} ${a[a.indexOf('add') + 1]}`;
      const far = `${a[a.indexOf('netns') + 1]} ${a[a.indexOf('name') + 1]}`;
      peerMac.set(near, a[a.lastIndexOf('address') + 1] as string);
      peerMac.set(far, a[a.indexOf('address') + 1] as string);
    }
    const neigh = steps.filter((s) => s.argv.includes('neigh'));
    // controller <-> router (2), each public address <-> router (5 addresses x 1 + 4 uplinks), LAN pairs (2 x 2)
    expect(neigh).toHaveLength(2 + 5 + 4 + 4);
    for (const s of neigh) {
      const a = s.argv;
      expect(a.slice(-2)).toEqual(['nud', 'permanent']);
      const ns = a[1] === '-n' ? (a[2] as string) : 'root';
      const dev = a[a.indexOf('dev') + 1] as string;
      expect(a[a.indexOf('lladdr') + 1], `${ns} ${dev}`).toBe(peerMac.get(`${ns} ${dev}`));
    }
  });

  it('the internet is a router with /32 routes; the controller holds .1/32 and routes the lab through it', () => {
    const t = plan();
    expect(namespaceSteps(t).map((s) => s.argv.join(' '))).toEqual([
      'ip netns add vtr1-inet', 'ip netns add vtr1-n0.stun', 'ip netns add vtr1-r1.peer_a', 'ip netns add vtr1-h1.peer_a',
      'ip netns add vtr1-r2.peer_b', 'ip netns add vtr1-h2.peer_b', 'ip netns add vtr1-n3.pub',
    ]);
    const steps = inetSteps(t).map((s) => (s.ns ? `[${s.ns}] ` : '') + s.argv.join(' '));
    expect(steps).toContain('[vtr1-inet] sysctl -qw net.ipv4.ip_forward=1');
    expect(steps).toContain('ip -n vtr1-inet addr add 198.18.7.254/32 dev ctl');
    expect(steps).toContain('ip -n vtr1-inet route add 198.18.7.1/32 dev ctl');
    expect(steps).toContain(`ip addr add 198.18.7.1/32 dev ${t.controllerVeth}`);
    expect(steps).toContain(`ip route add 198.18.7.0/24 via 198.18.7.254 dev ${t.controllerVeth} onlink`);
    expect(steps.some((l) => l.includes('bridge'))).toBe(false);
  });

  it('a NAT node: router wan on the internet router, NAT rules in the router, host behind it', () => {
    const t = plan();
    const steps = machineSteps(t, t.machines[1]!, { netem: false });
    const text = steps.map((s) => (s.ns ? `[${s.ns}] ` : '') + s.argv.join(' '));
    const m = t.machines[1]!;
    expect(text).toContain(`ip -n vtr1-inet link add p1 address ${m.macs.inetPort} type veth peer name wan address ${m.macs.uplink} netns vtr1-r1.peer_a`);
    expect(text).toContain('ip -n vtr1-inet route add 198.18.7.12/32 dev p1');
    expect(text).toContain('ip -n vtr1-r1.peer_a addr add 198.18.7.12/32 dev wan');
    expect(text).toContain('ip -n vtr1-r1.peer_a route add default via 198.18.7.254 dev wan onlink');
    expect(text).toContain('ip -n vtr1-h1.peer_a route add default via 10.2.0.1');
    expect(text).toContain(`ip -n vtr1-h1.peer_a neigh replace 10.2.0.1 lladdr ${m.macs.lan} dev eth0 nud permanent`);
    const nft = steps.find((s) => s.argv[0] === 'nft' && !s.input?.includes('vt_evidence'));
    expect(nft?.ns).toBe('vtr1-r1.peer_a');
    expect(nft?.input).toContain('ip saddr { 198.18.7.1 } tcp dport 22 accept');
    expect(nft?.input).toContain('@fullcone');
    expect(text.some((l) => l.includes('netns add'))).toBe(false); // namespaces are made beforehand, all at once
  });

  it('a public node’s loss keeps the controller’s SSH; its rate shapes eth0 and its bridge port', () => {
    const t = plan();
    const pub = machineSteps(t, t.machines[3]!, { netem: false });
    expect(pub.filter((s) => s.argv[0] === 'tc').map((s) => [s.ns, s.argv[4]])).toEqual([['vtr1-n3.pub', 'eth0'], ['vtr1-inet', 'p3']]);
    const b = machineSteps(t, t.machines[2]!, { netem: false });
    const loss = b.filter((s) => s.argv[0] === 'nft' && !s.input?.includes('vt_evidence')).at(-1);
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

describe('a double NAT in the topology', () => {
  const double = () =>
    planTopology(
      [
        { name: 'boot', nat: 'none', role: 'bootstrap' },
        { name: 'home', nat: 'port-restricted', role: 'peer', behind: 'symmetric-sequential', impair: { lossPercent: 5 } },
      ],
      { runId: 'r2', subnetIndex: 3, labRoot: '/lab' },
    );

  it('plans the carrier router (public side), the home router on the carrier LAN (RFC 6598) and the host', () => {
    const m = double().machines[1]!;
    expect(m).toMatchObject({
      machineNamespace: 'vtr2-r1.home', homeRouterNamespace: 'vtr2-g1.home', hostNamespace: 'vtr2-h1.home',
      namespaces: ['vtr2-r1.home', 'vtr2-g1.home', 'vtr2-h1.home'], behind: 'symmetric-sequential',
      carrierLan: { cidr: '100.64.2.0/24', routerIp: '100.64.2.1', hostIp: '100.64.2.2' }, privateIp: '10.2.0.2',
    });
  });

  it('the carrier NATs its LAN with the behind type, the home router NATs the host with the node’s own, the evidence is on the home router', () => {
    const t = double();
    const steps = machineSteps(t, t.machines[1]!, { netem: false });
    const nftIn = (ns: string) => steps.filter((s) => s.ns === ns && s.argv[0] === 'nft').map((s) => s.input ?? '');
    const carrier = nftIn('vtr2-r1.home').join('\n');
    const home = nftIn('vtr2-g1.home').join('\n');
    expect(carrier).toMatch(/snat ip to 198\.18\.3\.11 : numgen inc/); // sequential ports on the carrier's public address
    expect(carrier).not.toContain('vt_evidence');
    expect(home).toContain('map fullcone'); // port-restricted: endpoint-independent mapping
    expect(home).not.toContain('numgen inc');
    expect(home).toContain('table ip vt_evidence');
    // the home router's default route goes through the carrier; the host's through the home router
    const text = steps.map((s) => `${s.argv.join(' ')}\n${s.input ?? ''}`).join('\n');
    expect(text).toMatch(/ip -n vtr2-g1\.home route add default via 100\.64\.2\.1/);
    expect(text).toMatch(/ip -n vtr2-h1\.home route add default via 10\.2\.0\.1/);
    // the node's impairment stays on its own link, behind its home router
    expect(steps.some((s) => s.ns === 'vtr2-h1.home' && s.input?.includes('vtimpair'))).toBe(true);
  });

  it('refuses behind on a public node, behind: none and hairpin with it', () => {
    const bad = (spec: Partial<LabNodeSpec>) => () => planTopology([{ name: 'x', nat: 'full-cone', role: 'peer', ...spec }], { runId: 'r', subnetIndex: 0, labRoot: '/lab' });
    expect(bad({ nat: 'none', behind: 'full-cone' })).toThrow(/behind needs the node's own NAT/);
    expect(bad({ behind: 'none' })).toThrow(/behind must be a NAT type/);
    expect(bad({ behind: 'symmetric', hairpin: false })).toThrow(/hairpin is not available behind two NATs/);
  });
});
