import { SshPool } from '../../ssh/index.js';
import { shellQuote } from '../../ssh/index.js';
import { parseFlags, UsageError } from '../args.js';
import { fleetOfRun } from '../fleet-run.js';

const HELP = `Usage: vps-test diagnose NODE [--run RUN-ID] [--lines N]

Shows, for one node of a running fleet: service status, the recent lines of its logs, disk,
memory, listening sockets (as the node sees them) and, for a NAT'd node, its router's NAT rules
and connection-tracking entries.`;

export async function diagnoseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { run: { type: 'string' }, lines: { type: 'string' } }, 'diagnose');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const name = positionals[0];
  if (!name) throw new UsageError('diagnose: which node? (vps-test diagnose NODE; see vps-test nodes)');
  const lines = Number(values.lines ?? 20);
  if (!Number.isInteger(lines) || lines < 1) throw new UsageError(`--lines ${values.lines}: expected a positive whole number`);
  const { fleet } = await fleetOfRun(values.run, 'diagnose');
  const node = fleet.nodes.find((n) => n.name === name);
  if (!node) throw new UsageError(`diagnose: no node '${name}' in run ${fleet.runId} (nodes: ${fleet.nodes.map((n) => n.name).join(', ')})`);
  const pool = SshPool.forFleet(fleet, { connectTimeoutMs: 5000 });
  const w = shellQuote(node.workdir);
  const prefix = node.execPrefix.map(shellQuote).join(' ');
  const sections: [string, string][] = [
    ['services', `for p in ${w}/run/*.pid; do [ -e "$p" ] || continue; n=$(basename "$p" .pid); pid=$(cat "$p"); if kill -0 "$pid" 2>/dev/null; then echo "$n: running (pid $pid)"; else echo "$n: not running (pid file $pid)"; fi; done; ls ${w}/run 2>/dev/null | grep -q . || echo "no services"`],
    ['logs', `for f in ${w}/logs/*.log; do [ -e "$f" ] || { echo "no logs"; break; }; echo "--- $f"; tail -n ${lines} "$f"; done`],
    ['disk', `df -h ${w} | tail -n +1`],
    ['memory', 'free -m'],
    ['listening sockets', `${prefix} ss -lntup`.trim()],
  ];
  if (node.nat !== 'none') {
    sections.push(['NAT rules (router)', 'nft list ruleset'], ['conntrack entries (router)', 'conntrack -L 2>&1 | tail -n 30']);
  }
  try {
    console.log(`${node.name}: ${node.role}, ${node.nat === 'none' ? 'public' : `${node.nat} NAT`}, public ${node.publicIp}${node.privateIp !== node.publicIp ? `, private ${node.privateIp}` : ''}`);
    for (const [title, cmd] of sections) {
      const r = await pool.exec(node, cmd, { timeoutMs: 15_000 });
      console.log(`\n== ${title}\n${(r.stdout + r.stderr).trimEnd() || '(nothing)'}`);
    }
    return 0;
  } finally {
    await pool.close();
  }
}
