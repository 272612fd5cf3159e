// The agent behind real nftables NATs, in namespaces of its own (vtagent<pid>-...): one public
// node, two port-restricted and two symmetric NAT'd nodes, the server on the "internet" bridge.
// Checks docs/architecture.md ("The NAT oracle")'s oracle: to a public node -> direct; to a NAT'd node -> hole_punch,
// except port-restricted<->symmetric and symmetric<->symmetric -> relay. public -> symmetric
// only punches because the agent switches to the peer-reflexive source address.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentOnce, killAllAgents, startAgent, stopAgent, waitListening, type RunningAgent } from './helpers.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('agent-nat: skipped (needs root for network namespaces and nftables)');

const prefix = `vtagent${process.pid}`;
const INET = `${prefix}-inet`;
const SERVER = '203.0.113.1:9000';

type Nat = 'none' | 'port-restricted' | 'symmetric';
interface Node {
  name: string;
  nat: Nat;
  /** namespace the node's processes run in */
  ns: string;
  router?: string;
}
const nodes: Node[] = [
  { name: 'pub', nat: 'none', ns: `${prefix}-pub` },
  { name: 'pr1', nat: 'port-restricted', ns: `${prefix}-h1`, router: `${prefix}-r1` },
  { name: 'pr2', nat: 'port-restricted', ns: `${prefix}-h2`, router: `${prefix}-r2` },
  { name: 'sym1', nat: 'symmetric', ns: `${prefix}-h3`, router: `${prefix}-r3` },
  { name: 'sym2', nat: 'symmetric', ns: `${prefix}-h4`, router: `${prefix}-r4` },
];

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}
const ipn = (ns: string, ...args: string[]) => sh('ip', ['-n', ns, ...args]);

/** docs/architecture.md ("The NAT oracle"): masquerade (random for symmetric) + drop unsolicited inbound on wan. */
function natRuleset(nat: Nat): string {
  return `
table ip vtnat {
  chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade${nat === 'symmetric' ? ' random' : ''}; }
}
table inet vtfilter {
  chain forwarding { type filter hook forward priority 0; policy accept;
    iifname "wan" ct state established,related accept; iifname "wan" drop; }
  chain incoming { type filter hook input priority 0; policy accept;
    iifname "wan" ct state established,related accept; iifname "wan" drop; }
}
`;
}

function createLab(): void {
  sh('ip', ['netns', 'add', INET]);
  ipn(INET, 'link', 'set', 'lo', 'up');
  ipn(INET, 'link', 'add', 'name', 'br0', 'type', 'bridge');
  ipn(INET, 'addr', 'add', '203.0.113.1/24', 'dev', 'br0');
  ipn(INET, 'link', 'set', 'br0', 'up');
  nodes.forEach((node, i) => {
    const k = i + 1;
    const wanNs = node.router ?? node.ns;
    sh('ip', ['netns', 'add', wanNs]);
    ipn(wanNs, 'link', 'set', 'lo', 'up');
    ipn(wanNs, 'link', 'add', 'name', 'wan', 'type', 'veth', 'peer', 'name', `port${k}`, 'netns', INET);
    ipn(INET, 'link', 'set', `port${k}`, 'master', 'br0', 'up');
    ipn(wanNs, 'addr', 'add', `203.0.113.${10 + k}/24`, 'dev', 'wan');
    ipn(wanNs, 'link', 'set', 'wan', 'up');
    if (!node.router) return;
    sh('ip', ['netns', 'add', node.ns]);
    ipn(node.ns, 'link', 'set', 'lo', 'up');
    ipn(node.router, 'link', 'add', 'name', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns);
    ipn(node.router, 'addr', 'add', `10.${k}.0.1/24`, 'dev', 'lan');
    ipn(node.router, 'link', 'set', 'lan', 'up');
    ipn(node.ns, 'addr', 'add', `10.${k}.0.2/24`, 'dev', 'eth0');
    ipn(node.ns, 'link', 'set', 'eth0', 'up');
    ipn(node.ns, 'route', 'add', 'default', 'via', `10.${k}.0.1`);
    sh('ip', ['netns', 'exec', node.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    sh('ip', ['netns', 'exec', node.router, 'nft', '-f', '-'], natRuleset(node.nat));
  });
}

/** Removes exactly this run's namespaces (and anything still running in them). */
function destroyLab(): void {
  const mine = sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`));
  for (const ns of mine) {
    for (const pid of sh('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    sh('ip', ['netns', 'del', ns]);
  }
}

function flushConntrack(): void {
  for (const node of nodes) if (node.router) sh('ip', ['netns', 'exec', node.router, 'conntrack', '-F'], undefined);
}

/** The oracle of docs/architecture.md ("The NAT oracle"). */
function expectedPath(from: Nat, to: Nat): string {
  if (to === 'none') return 'direct';
  const pair = new Set([from, to]);
  if ((pair.has('port-restricted') && pair.has('symmetric')) || (from === 'symmetric' && to === 'symmetric')) return 'relay';
  return 'hole_punch';
}

describe.skipIf(!isRoot)('agent behind real NATs (own namespaces)', () => {
  const work = mkdtempSync(join(tmpdir(), 'vt-agent-nat-'));
  let agent = '';
  let server: RunningAgent;

  beforeAll(async () => {
    const [x86] = await buildAgentOnce(join(work, 'out'));
    agent = x86!.path;
    try {
      createLab();
    } catch (err) {
      destroyLab();
      throw err;
    }
    server = startAgent(agent, ['serve', '--port', '9000'], ['ip', 'netns', 'exec', INET]);
    await waitListening(server);
  });

  afterAll(async () => {
    if (server) await stopAgent(server).catch(() => undefined);
    killAllAgents();
    destroyLab();
    rmSync(work, { recursive: true, force: true });
    const left = sh('ip', ['netns', 'list']).split('\n').filter((l) => l.startsWith(`${prefix}-`));
    expect(left).toEqual([]);
  });

  /** One round on every node at once, after a conntrack flush; returns the attempts and wall time. */
  async function runRound(k: number, extra: string[] = []) {
    flushConntrack();
    const names = nodes.map((n) => n.name);
    const started = Date.now();
    const runs = nodes.map((n) =>
      startAgent(agent, ['probe', '--name', n.name, '--server', SERVER, '--peers', names.join(','), '--round', String(k), '--suite', 'nat-traversal', ...extra], ['ip', 'netns', 'exec', n.ns]),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    const wall = Date.now() - started;
    expect(results.every((r) => r.code === 0)).toBe(true);
    const events = results.flatMap((r) => r.events);
    const table = events.map((e) => `${String(e.from).padEnd(4)} -> ${String(e.to).padEnd(4)} ${e.ok ? `${String(e.path)} ${String(e.rtt_ms)} ms` : `FAILED ${String(e.error)}`}`);
    console.log(`NAT round ${k}${extra.length ? ` ${extra.join(' ')}` : ''} (${wall} ms):\n${table.sort().join('\n')}`);
    return { events, wall };
  }

  const natOf = new Map(nodes.map((n) => [n.name, n.nat]));

  for (const k of [1, 2]) {
    it(`round ${k}: every ordered pair takes the path the NAT table predicts`, async () => {
      const { events, wall } = await runRound(k);
      expect(events).toHaveLength(20);
      for (const e of events) {
        const want = expectedPath(natOf.get(e.from as string)!, natOf.get(e.to as string)!);
        expect({ pair: `${e.from}->${e.to}`, ok: e.ok, path: e.path }).toEqual({ pair: `${e.from}->${e.to}`, ok: true, path: want });
      }
      expect(wall).toBeLessThan(4500);
    });
  }

  it('without the peer-reflexive switch, pairs with a symmetric NAT fall back to the relay (control)', async () => {
    const { events } = await runRound(3, ['--no-peer-reflexive']);
    const pathOf = (from: string, to: string) => events.find((e) => e.from === from && e.to === to)?.path;
    expect(pathOf('pub', 'sym1')).toBe('relay');
    expect(pathOf('pub', 'sym2')).toBe('relay');
    expect(pathOf('pr1', 'pr2')).toBe('hole_punch'); // cone NATs keep their port: no switch needed
    // Even direct to a public node fails from behind a symmetric NAT when the public node answers
    // the address the server saw instead of the packet's source; a cone NAT keeps its port.
    expect(pathOf('sym1', 'pub')).toBe('relay');
    expect(pathOf('pr1', 'pub')).toBe('direct');
  });
});
