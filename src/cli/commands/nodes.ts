import type { FleetNode } from '../../fleet/types.js';
import { SshPool, mapLimit } from '../../ssh/index.js';
import { serviceStatus } from '../../deploy/index.js';
import { parseFlags } from '../args.js';
import { fleetOfRun } from '../fleet-run.js';
import { runStatus } from '../../run/status.js';

const HELP = `Usage: vps-test nodes [RUN-ID] [--json]

Lists the nodes of a running fleet (default: the newest run whose fleet is up): role, NAT type,
public address, namespaces, whether SSH answers (host key verified), and service state.`;

export interface NodeRow {
  node: FleetNode;
  ssh?: 'ok' | string;
  services?: Record<string, string>;
}

const SERVICES = ['service', 'vps-agent-serve'];

export async function nodesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'nodes');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { run, fleet } = await fleetOfRun(positionals[0], 'nodes');
  const pool = SshPool.forFleet(fleet, { connectTimeoutMs: 5000 });
  try {
    const rows = await mapLimit(fleet.nodes, 8, async (node): Promise<NodeRow> => {
      try {
        await pool.connect(node);
      } catch (err) {
        return { node, ssh: (err as Error).message.split('\n')[0] as string };
      }
      const services: Record<string, string> = {};
      for (const name of SERVICES) {
        const s = await serviceStatus(pool, node, name).catch(() => undefined);
        if (s && (s.running || s.pid || s.exitCode !== undefined)) services[name] = s.running ? `running (pid ${s.pid})` : `stopped${s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ''}`;
      }
      return { node, ssh: 'ok', services };
    });
    const status = runStatus(run);
    if (values.json) {
      console.log(JSON.stringify({ runId: run.state.runId, condition: status.condition, controller: status.controller, nodes: rows.map((r) => ({ name: r.node.name, role: r.node.role, nat: r.node.nat, publicIp: r.node.publicIp, privateIp: r.node.privateIp, namespaces: r.node.resources, ssh: r.ssh, services: r.services ?? {} })) }, null, 2));
    } else {
      console.log(`run ${run.state.runId} (${fleet.provider}, ${fleet.nodes.length} nodes, ${status.condition})`);
      console.log(renderNodesTable(rows));
      if (status.condition === 'orphaned') console.log(`its controller (pid ${status.controller.pid}) died during ${status.stage}: vps-test run --resume ${run.state.runId} | vps-test stop ${run.state.runId} | vps-test down ${run.state.runId}`);
    }
    // an orphaned run is not healthy, however well its nodes answer
    return rows.every((r) => r.ssh === 'ok') && status.condition !== 'orphaned' ? 0 : 1;
  } finally {
    await pool.close();
  }
}

export function renderNodesTable(rows: NodeRow[]): string {
  const header = ['NODE', 'ROLE', 'NAT', 'PUBLIC', 'PRIVATE', 'SSH', 'SERVICES', 'NAMESPACES'];
  const lines = rows.map(({ node, ssh, services }) => [
    node.name,
    node.role,
    node.nat,
    node.publicIp,
    node.privateIp,
    ssh ?? '-',
    services ? Object.entries(services).map(([k, v]) => `${k}: ${v}`).join('; ') || 'none' : '-',
    node.resources.join(','),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  return [header, ...lines].map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n');
}
