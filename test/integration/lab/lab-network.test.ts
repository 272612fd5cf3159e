// The lab for real: namespaces, nftables NATs classified by coturn's RFC 5780 tool, UDP
// filtering, sshd per machine with pinned host keys, impairments, conntrack, the standalone
// NAT script, and a leak-free teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemExec } from '../../../src/lab/exec.js';
import { createLab, destroyLab, flushConntrack, listLabs, type Lab } from '../../../src/lab/lab.js';
import { assertPreflight, preflight } from '../../../src/lab/preflight.js';
import { renderNatScript, renderNatTeardownScript } from '../../../src/lab/recipes/nat-machine.js';
import type { FleetNode } from '../../../src/providers/types.js';
import { expectNoLeaks, inNs, isRoot, parseNatDiscovery, Probe, runProbe, uniqueRunId } from './helpers.js';

if (!isRoot) console.log('skipping lab network tests: they need root (network namespaces, nftables, sshd)');

const NAT_NODES = ['fc', 'ar', 'pr', 'sym', 'seq', 'prr'] as const;

describe.skipIf(!isRoot)('lab network (real netns, nftables, sshd, coturn)', () => {
  const runId = uniqueRunId('itn');
  let tmp = '';
  let lab: Lab;
  let turn: ChildProcess | undefined;
  const progress: string[] = [];
  const node = (name: string): FleetNode => {
    const found = lab.fleet.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name}`);
    return found;
  };
  const machineNs = (name: string) => lab.topology.machines.find((m) => m.node === name)?.machineNamespace as string;
  const hostNs = (name: string) => lab.topology.machines.find((m) => m.node === name)?.hostNamespace as string;
  const stunIps = () => lab.topology.machines.find((m) => m.node === 'stun')?.publicIps as string[];

  function ssh(n: FleetNode, knownHosts: string, command: string[]) {
    return systemExec(
      ['ssh', '-F', '/dev/null', '-i', lab.fleet.clientKeyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
        '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ConnectTimeout=5',
        '-o', 'LogLevel=ERROR', '-p', String(n.ssh.port), `${n.ssh.user}@${n.ssh.host}`, '--', ...command],
      { allowFailure: true, timeoutMs: 20_000 },
    );
  }

  beforeAll(async () => {
    assertPreflight(await preflight({ forTests: true }));
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-labtest-'));
    lab = await createLab(
      {
        runId,
        labRoot: path.join(tmp, 'lab'),
        nodes: [
          { name: 'stun', nat: 'none', role: 'bootstrap', publicAddresses: 2 },
          { name: 'pub', nat: 'none', role: 'peer' },
          { name: 'lossy', nat: 'none', role: 'peer', impair: { lossPercent: 100 } },
          { name: 'slow', nat: 'none', role: 'peer', impair: { rateKbit: 2000 } },
          { name: 'fc', nat: 'full-cone', role: 'peer' },
          { name: 'ar', nat: 'address-restricted', role: 'peer' },
          { name: 'pr', nat: 'port-restricted', role: 'peer' },
          { name: 'sym', nat: 'symmetric', role: 'peer' },
          { name: 'seq', nat: 'symmetric-sequential', role: 'peer' },
          { name: 'prr', nat: 'port-restricted-remapped', role: 'peer' },
          { name: 'droplet', nat: 'none', role: 'peer' },
        ],
      },
      { onProgress: (line) => progress.push(line) },
    );
    // coturn as an RFC 5780 STUN server on the server node's two addresses; an empty config
    // file keeps the system's /etc/turnserver.conf (which disables RFC 5780) out of it.
    const conf = path.join(tmp, 'turnserver.conf');
    await writeFile(conf, '');
    const [ip1, ip2] = stunIps();
    turn = spawn('ip', ['netns', 'exec', machineNs('stun'), 'turnserver', '-c', conf, '-L', ip1 as string, '-L', ip2 as string,
      '--stun-only', '--no-auth', '--no-tls', '--no-dtls', '--no-cli', '--pidfile', path.join(tmp, 'turn.pid'),
      '--log-file', path.join(tmp, 'turn.log'), '--simple-log', '--no-stdout-log'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ss = (await inNs(machineNs('stun'), ['ss', '-Hulpn'])).stdout;
      if ([`${ip1}:3478`, `${ip2}:3478`, `${ip1}:3479`, `${ip2}:3479`].every((a) => ss.includes(a))) break;
      if (Date.now() > deadline) throw new Error(`turnserver did not bind its four sockets: ${ss}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);

  afterAll(async () => {
    turn?.kill('SIGKILL');
    await destroyLab(runId).catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('reports its progress and produces the documented Fleet shape', () => {
    expect(progress.some((l) => /ready in \d+\.\d s/.test(l))).toBe(true);
    expect(progress.some((l) => l.includes('fc: full-cone NAT: router'))).toBe(true);
    expect(lab.fleet.provider).toBe('local');
    expect(lab.fleet.controllerIp).toBe(lab.topology.subnet.controllerIp);
    const fc = node('fc');
    expect(fc.privateIp).toMatch(/^10\.\d+\.0\.2$/);
    expect(fc.execPrefix).toEqual(['ip', 'netns', 'exec', hostNs('fc')]);
    expect(fc.routerNamespace).toBe(machineNs('fc'));
    expect(fc.ssh.host).toBe(fc.publicIp);
    expect(fc.ssh.hostKey).toMatch(/^ssh-ed25519 AAAA\S+$/);
    const pub = node('pub');
    expect(pub.execPrefix).toEqual([]);
    expect(pub.privateIp).toBe(pub.publicIp);
    expect(pub.routerNamespace).toBeUndefined();
    expect(new Set(lab.fleet.nodes.map((n) => n.publicIp)).size).toBe(lab.fleet.nodes.length);
  });

  it('classifies every NAT type as intended with turnutils_natdiscovery (RFC 5780)', async () => {
    const expected: Record<string, { mapping: string; filtering: string }> = {
      fc: { mapping: 'Endpoint Independent', filtering: 'Endpoint Independent' },
      ar: { mapping: 'Endpoint Independent', filtering: 'Address Dependent' },
      pr: { mapping: 'Endpoint Independent', filtering: 'Address and Port Dependent' },
      sym: { mapping: 'Address and Port Dependent', filtering: 'Address and Port Dependent' },
      seq: { mapping: 'Address and Port Dependent', filtering: 'Address and Port Dependent' },
      prr: { mapping: 'Endpoint Independent', filtering: 'Address and Port Dependent' },
    };
    const results = await Promise.all(
      NAT_NODES.map(async (name) => {
        const out = await inNs(hostNs(name), ['turnutils_natdiscovery', '-m', '-f', stunIps()[0] as string], true);
        return [name, parseNatDiscovery(out.stdout + out.stderr)] as const;
      }),
    );
    expect(Object.fromEntries(results)).toEqual(expected);
  }, 40_000);

  it('filters inbound UDP per NAT type: replies pass, strangers only where the type allows', async () => {
    const pubIp = node('pub').publicIp;
    const strangerIp = node('stun').publicIp; // a different address than the peer the host talks to
    const outcome = await Promise.all(
      NAT_NODES.map(async (name, k) => {
        const echoPort = 50_000 + k;
        const echo = Probe.node(machineNs('pub'), 'udp-listen', echoPort, 10_000, 'echo');
        await echo.waitFor((e) => e.event === 'ready');
        const host = Probe.node(hostNs(name), 'udp-send', pubIp, echoPort, 600, 9000, 40_000 + k); // long enough for a loaded machine
        const first = await echo.waitFor((e) => e.event === 'recv');
        const [routerIp, mappedPort] = String(first.from).split(':');
        expect(routerIp).toBe(node(name).publicIp);
        // the same mapping, hit from another address and from the same address but another port
        await Promise.all([
          runProbe(machineNs('stun'), 'udp-send', routerIp as string, mappedPort as string, 20, 600),
          runProbe(machineNs('pub'), 'udp-send', routerIp as string, mappedPort as string, 20, 600, 50_100 + k),
        ]);
        await host.exited;
        await echo.exited;
        const replies = host.events.filter((e) => e.event === 'reply').map((e) => String(e.from));
        return [name, {
          echoed: replies.some((f) => f === `${pubIp}:${echoPort}`),
          otherAddress: replies.some((f) => f.startsWith(`${strangerIp}:`)),
          samePeerOtherPort: replies.some((f) => f === `${pubIp}:${50_100 + k}`),
        }] as const;
      }),
    );
    expect(Object.fromEntries(outcome)).toEqual({
      fc: { echoed: true, otherAddress: true, samePeerOtherPort: true },
      ar: { echoed: true, otherAddress: false, samePeerOtherPort: true },
      pr: { echoed: true, otherAddress: false, samePeerOtherPort: false },
      sym: { echoed: true, otherAddress: false, samePeerOtherPort: false },
      seq: { echoed: true, otherAddress: false, samePeerOtherPort: false },
      prr: { echoed: true, otherAddress: false, samePeerOtherPort: false },
    });
  }, 60_000);

  it('drops unsolicited UDP to port-restricted and symmetric hosts; public nodes reach each other', async () => {
    const targets = [
      { ns: hostNs('pr'), ip: node('pr').publicIp, port: 41_001 },
      { ns: hostNs('sym'), ip: node('sym').publicIp, port: 41_002 },
      { ns: machineNs('stun'), ip: node('stun').publicIp, port: 41_003 }, // control: must arrive
    ];
    const received = await Promise.all(
      targets.map(async (t) => {
        const listener = Probe.node(t.ns, 'udp-listen', t.port, 6000);
        await listener.waitFor((e) => e.event === 'ready');
        await runProbe(machineNs('pub'), 'udp-send', t.ip, t.port, 30, 800);
        await listener.exited;
        return listener.events.filter((e) => e.event === 'recv').length;
      }),
    );
    expect(received).toEqual([0, 0, 30]);
  }, 40_000);

  it('lets the controller reach every sshd with the pinned host key only; execPrefix enters the host namespace', async () => {
    const nodes = lab.fleet.nodes;
    const results = await Promise.all(
      nodes.map(async (n, i) => {
        const pinned = path.join(tmp, `known_${n.name}`);
        const wrong = path.join(tmp, `wrong_${n.name}`);
        const other = nodes[(i + 1) % nodes.length] as FleetNode;
        await writeFile(pinned, `${n.ssh.host} ${n.ssh.hostKey}\n`);
        await writeFile(wrong, `${n.ssh.host} ${other.ssh.hostKey}\n`);
        const good = await ssh(n, pinned, [...n.execPrefix, 'ip', '-4', '-o', 'addr', 'show']);
        const bad = await ssh(n, wrong, ['true']);
        return { n, good, bad };
      }),
    );
    for (const { n, good, bad } of results) {
      expect(good.code, `${n.name}: ${good.stderr}`).toBe(0);
      expect(good.stdout, n.name).toContain(`inet ${n.privateIp}/`);
      if (n.execPrefix.length > 0) expect(good.stdout, n.name).not.toContain(n.publicIp);
      expect(bad.code, n.name).not.toBe(0);
      expect(bad.stderr, n.name).toMatch(/Host key verification failed/);
    }
  }, 30_000);

  it("admits SSH to a NAT router from the controller only", async () => {
    const fromPub = (ip: string) => runProbe(machineNs('pub'), 'tcp-connect', ip, 22, 1500);
    const [router, publicNode] = await Promise.all([fromPub(node('pr').publicIp), fromPub(node('stun').publicIp)]);
    expect(router[0]).toMatchObject({ ok: false });
    expect(publicNode[0]).toMatchObject({ ok: true });
  }, 10_000);

  it('loss 100% drops everything on that link (both ways) while SSH from the controller stays up', async () => {
    const count = async (fromNs: string, toNs: string, toIp: string, port: number) => {
      const listener = Probe.node(toNs, 'udp-listen', port, 6000);
      await listener.waitFor((e) => e.event === 'ready');
      await runProbe(fromNs, 'udp-send', toIp, port, 40, 800);
      await listener.exited;
      return listener.events.filter((e) => e.event === 'recv').length;
    };
    const [into, outOf, control] = await Promise.all([
      count(machineNs('pub'), machineNs('lossy'), node('lossy').publicIp, 42_001),
      count(machineNs('lossy'), machineNs('pub'), node('pub').publicIp, 42_002),
      count(machineNs('pub'), machineNs('stun'), node('stun').publicIp, 42_003),
    ]);
    expect({ into, outOf, control }).toEqual({ into: 0, outOf: 0, control: 40 });
    const rules = await inNs(machineNs('lossy'), ['nft', 'list', 'table', 'ip', 'vtimpair']);
    expect(rules.stdout).toMatch(/iifname "eth0" drop/);
    expect(rules.stdout).toMatch(/oifname "eth0" drop/);
  }, 40_000);

  it('rate 2000 kbit shapes both directions of the link (measured with a TCP transfer)', async () => {
    const mbps = async (fromNs: string, toNs: string, toIp: string, port: number, ms: number) => {
      const sink = Probe.node(toNs, 'tcp-sink', port, ms + 10_000);
      await sink.waitFor((e) => e.event === 'ready');
      await runProbe(fromNs, 'tcp-send', toIp, port, ms);
      const done = await sink.waitFor((e) => e.event === 'sink', 10_000);
      sink.kill();
      return (Number(done.bytes) * 8) / Number(done.seconds) / 1e6;
    };
    const down = await mbps(machineNs('pub'), machineNs('slow'), node('slow').publicIp, 43_001, 1500);
    const up = await mbps(machineNs('slow'), machineNs('pub'), node('pub').publicIp, 43_002, 1500);
    const control = await mbps(machineNs('pub'), machineNs('stun'), node('stun').publicIp, 43_003, 500);
    console.log(`rate-limited link: down ${down.toFixed(2)} Mbit/s, up ${up.toFixed(2)} Mbit/s; unshaped ${control.toFixed(0)} Mbit/s`);
    for (const measured of [down, up]) {
      expect(measured).toBeGreaterThan(1.2);
      expect(measured).toBeLessThan(2.6);
    }
    expect(control).toBeGreaterThan(20);
  }, 30_000);

  it('flushConntrack empties the NAT routers’ connection tables and the cone state (map, contacted set)', async () => {
    const elements = async (name: string, kind: 'map' | 'set', what: string) =>
      (await inNs(machineNs(name), ['nft', 'list', kind, 'ip', 'vtnat', what])).stdout.includes('elements = {');
    const echoAr = Probe.node(machineNs('pub'), 'udp-listen', 44_002, 6000, 'echo');
    await echoAr.waitFor((e) => e.event === 'ready');
    await Promise.all([runProbe(hostNs('fc'), 'udp-send', node('pub').publicIp, 44_002, 3, 300), runProbe(hostNs('ar'), 'udp-send', node('pub').publicIp, 44_002, 3, 300)]);
    expect(await elements('fc', 'map', 'fullcone')).toBe(true);
    expect(await elements('ar', 'set', 'contacted')).toBe(true);
    await flushConntrack(lab.fleet);
    expect(await elements('fc', 'map', 'fullcone')).toBe(false);
    expect(await elements('ar', 'map', 'fullcone')).toBe(false);
    expect(await elements('ar', 'set', 'contacted')).toBe(false);
    echoAr.kill();

    const udpEntries = async () =>
      (await inNs(machineNs('pr'), ['conntrack', '-L', '-p', 'udp'], true)).stdout.split('\n').filter((l) => l.includes('udp')).length;
    const echo = Probe.node(machineNs('pub'), 'udp-listen', 44_001, 6000, 'echo');
    await echo.waitFor((e) => e.event === 'ready');
    await runProbe(hostNs('pr'), 'udp-send', node('pub').publicIp, 44_001, 3, 300);
    expect(await udpEntries()).toBeGreaterThan(0);
    await flushConntrack(lab.fleet);
    expect(await udpEntries()).toBe(0);
    echo.kill();
  }, 40_000);

  it('the standalone NAT script turns a machine into its own node’s NAT router (same recipes)', async () => {
    const droplet = node('droplet');
    const cloudHost = `vt${runId}-h99.cloud`;
    const options = {
      nat: 'symmetric' as const, wan: 'eth0', hostNs: cloudHost, lanRouterIp: '10.200.0.1', lanHostIp: '10.200.0.2',
      lanPrefixLen: 24, sshFrom: [lab.topology.subnet.controllerIp], netem: false,
    };
    const script = renderNatScript(options);
    // As root on the machine itself: nsenter switches only the network namespace (`ip netns exec`
    // would also give the script a private mount namespace, where `ip netns add` cannot publish).
    const run = (text: string) => systemExec(['nsenter', `--net=/run/netns/${machineNs('droplet')}`, 'sh', '-s'], { input: text });
    await run(script);
    await run(script); // re-runnable
    const out = await inNs(cloudHost, ['turnutils_natdiscovery', '-m', stunIps()[0] as string], true);
    expect(parseNatDiscovery(out.stdout + out.stderr).mapping).toBe('Address and Port Dependent');
    const known = path.join(tmp, 'known_droplet');
    await writeFile(known, `${droplet.ssh.host} ${droplet.ssh.hostKey}\n`);
    expect((await ssh(droplet, known, ['ip', 'netns', 'exec', cloudHost, 'ip', '-4', '-o', 'addr'])).stdout).toContain('10.200.0.2/24');
    expect((await runProbe(machineNs('pub'), 'tcp-connect', droplet.publicIp, 22, 1500))[0]).toMatchObject({ ok: false });

    await run(renderNatTeardownScript(options));
    expect((await systemExec(['ip', 'netns', 'list'])).stdout).not.toContain(cloudHost);
    expect((await inNs(machineNs('droplet'), ['nft', 'list', 'tables'])).stdout).not.toContain('vtnat');
    expect((await runProbe(machineNs('pub'), 'tcp-connect', droplet.publicIp, 22, 1500))[0]).toMatchObject({ ok: true });
  }, 30_000);

  it('destroyLab removes every namespace, veth, process and subnet claim, and is idempotent', async () => {
    expect((await listLabs()).map((l) => l.runId)).toContain(runId);
    turn?.kill('SIGKILL');
    const report = await destroyLab(runId);
    expect(report.namespaces.length).toBe(18); // inet + 5 public + 6 x (router + host)
    expect(report.processesKilled).toBeGreaterThanOrEqual(lab.fleet.nodes.length); // one sshd per machine at least
    expect(report.controllerVethRemoved).toBe(true);
    expect(report.subnetsReleased).toEqual([lab.topology.subnet.index]);
    await expectNoLeaks(runId, [lab.labRoot, tmp]);
    const again = await destroyLab(runId);
    expect(again).toMatchObject({ namespaces: [], processesKilled: 0, subnetsReleased: [], controllerVethRemoved: false });
    expect((await listLabs()).map((l) => l.runId)).not.toContain(runId);
  }, 20_000);
});
