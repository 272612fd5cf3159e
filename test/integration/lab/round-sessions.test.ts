// The lab's between-round sessions (src/lab/round-sessions.ts) in real namespaces with real nft
// and conntrack: counters read through a long-lived `nft -j -i`, a full-cone router's cone map
// and connection table emptied, and every way a session can go wrong named with its node.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemExec } from '../../../src/lab/exec.js';
import { RoundSessions } from '../../../src/lab/round-sessions.js';
import { evidenceStep, parseEvidenceCounters } from '../../../src/lab/recipes/evidence.js';
import { stepArgv } from '../../../src/lab/recipes/steps.js';
import type { Fleet, FleetNode } from '../../../src/fleet/types.js';
import { isRoot, uniqueRunId } from './helpers.js';

const id = uniqueRunId('rs');
const PUB = `vt${id}-n0.pub`;
const ROUTER = `vt${id}-r1.cone`;
const run = (argv: string[], input?: string) => systemExec(argv, { timeoutMs: 30_000, ...(input !== undefined && { input }) });
const inNs = (ns: string, argv: string[], input?: string) => run(['ip', 'netns', 'exec', ns, ...argv], input);

function node(name: string, nat: FleetNode['nat'], ns: string, router?: string): FleetNode {
  return {
    name,
    role: 'peer',
    nat,
    arch: 'x86_64',
    publicIp: '198.51.100.1',
    privateIp: '198.51.100.1',
    ssh: { host: '198.51.100.1', port: 22, user: 'root', hostKey: 'ssh-ed25519 AAAA' },
    workdir: '/nonexistent',
    execPrefix: [],
    resources: [ns],
    ...(router && { routerNamespace: router }),
    systemd: false,
  };
}

const fleet: Fleet = { runId: id, provider: 'local', clientKeyPath: '/nonexistent', nodes: [node('pub', 'none', PUB), node('cone', 'full-cone', `vt${id}-h1.cone`, ROUTER)] };
const CONE_TABLE = 'table ip vtnat {\n  map fullcone {\n    type inet_proto . inet_service : ipv4_addr . inet_service\n    flags dynamic,timeout\n    timeout 5m\n  }\n}\n';
const conntrackCount = async () => (await inNs(ROUTER, ['conntrack', '-L'])).stdout.trim().split('\n').filter(Boolean).length;

beforeAll(async () => {
  if (!isRoot) return;
  for (const ns of [PUB, ROUTER]) await run(['ip', 'netns', 'add', ns]);
  await run(['ip', '-n', PUB, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wan', 'netns', ROUTER]);
  for (const [ns, dev, ip] of [[PUB, 'eth0', '198.51.100.1'], [ROUTER, 'wan', '198.51.100.2']] as const) {
    await run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
    await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  for (const [ns, iface, routed] of [[PUB, 'eth0', false], [ROUTER, 'wan', false]] as const) {
    const step = evidenceStep(ns, { publicIface: iface, routed });
    await run(stepArgv(step), step.input);
  }
  await inNs(ROUTER, ['nft', '-f', '-'], CONE_TABLE);
});

afterAll(async () => {
  for (const ns of [PUB, ROUTER]) await systemExec(['ip', 'netns', 'del', ns], { allowFailure: true });
});

describe.skipIf(!isRoot)('between-round sessions (nft -j -i, sh, conntrack)', () => {
  it('reads counters that grow between reads, and empties the cone map and the connection table', async () => {
    const sessions = new RoundSessions(fleet);
    try {
      const send = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(3): s.sendto(b'x',('198.51.100.2',9))`;
      await inNs(PUB, ['python3', '-c', send]);
      const first = parseEvidenceCounters(await sessions.readCounters('pub'));
      expect(first.out.get('198.51.100.2')).toBe(3);
      await inNs(PUB, ['python3', '-c', send]);
      // the same long-lived nft answers with fresh counters, not a cached ruleset
      expect(parseEvidenceCounters(await sessions.readCounters('pub')).out.get('198.51.100.2')).toBe(6);
      expect(parseEvidenceCounters(await sessions.readCounters('cone')).in.get('198.51.100.1')).toBe(6);

      await inNs(ROUTER, ['nft', 'add', 'element', 'ip', 'vtnat', 'fullcone', '{ udp . 4000 : 10.0.0.2 . 4000 }']);
      await inNs(ROUTER, ['conntrack', '-I', '-p', 'udp', '-s', '10.0.0.2', '-d', '198.51.100.1', '--sport', '4000', '--dport', '9', '-t', '60']);
      expect(await conntrackCount()).toBe(1);
      await Promise.all([sessions.flushNat(), sessions.readCounters('cone')]);
      expect((await inNs(ROUTER, ['nft', 'list', 'map', 'ip', 'vtnat', 'fullcone'])).stdout).not.toContain('10.0.0.2');
      expect(await conntrackCount()).toBe(0);
    } finally {
      sessions.close();
    }
  });

  it('a router without its cone map (recipe replaced) still has its connection table flushed; a machine without counters is named', async () => {
    await inNs(ROUTER, ['nft', 'delete', 'table', 'ip', 'vtnat']);
    await inNs(PUB, ['nft', 'delete', 'table', 'ip', 'vt_evidence']);
    const sessions = new RoundSessions(fleet);
    try {
      await inNs(ROUTER, ['conntrack', '-I', '-p', 'udp', '-s', '10.0.0.2', '-d', '198.51.100.1', '--sport', '4001', '--dport', '9', '-t', '60']);
      await sessions.flushNat();
      expect(await conntrackCount()).toBe(0);
      await expect(sessions.readCounters('pub')).rejects.toThrow(/reading the path evidence on pub failed: .*No such file or directory/);
      // the session still answers after a refused command
      expect(parseEvidenceCounters(await sessions.readCounters('cone')).in.size).toBeGreaterThan(0);
    } finally {
      sessions.close();
      await inNs(ROUTER, ['nft', '-f', '-'], CONE_TABLE);
    }
  });

  it('a session that died fails its node\'s next request at once, naming it', async () => {
    const sessions = new RoundSessions(fleet);
    try {
      await sessions.readCounters('cone');
      // only this namespace's processes (the pid namespace is the host's: never pgrep here)
      const inRouter = (await run(['ip', 'netns', 'pids', ROUTER])).stdout.trim().split('\n').filter(Boolean);
      const nft = (await Promise.all(inRouter.map(async (pid) => ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === 'nft' ? pid : undefined)))).filter(Boolean) as string[];
      expect(nft).toHaveLength(1);
      await run(['kill', '-9', nft[0] as string]);
      await expect(sessions.readCounters('cone')).rejects.toThrow(/nft session of node "cone" \(vt\S+\) ended \(SIGKILL\)/);
      await expect(sessions.flushNat()).rejects.toThrow(/node "cone"/);
    } finally {
      sessions.close();
    }
  });
});
