import { existsSync, readdirSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { findRun, type RunStateFile } from '../../run/state.js';
import { RUN_LOG } from '../../run/pipeline.js';
import { runStatus } from '../../run/status.js';
import { readFleet } from '../../providers/fleet-file.js';
import { SshPool, shellQuote } from '../../ssh/index.js';
import { parseFlags, UsageError } from '../args.js';

const HELP = `Usage: vps-test logs RUN-ID [--node NODE] [--follow] [--lines N]

The run's own log (every stage's progress lines, from <run folder>/run.log), or with --node the
logs of that node's services: live over SSH while the fleet is up, else the copies collected
at teardown (<run folder>/logs/<node>/). --follow keeps printing new lines until the run's
controller ends (or Ctrl-C).`;

export async function logsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { node: { type: 'string' }, follow: { type: 'boolean', short: 'f' }, lines: { type: 'string' } }, 'logs');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const runId = positionals[0];
  if (!runId) throw new UsageError('logs: which run? (vps-test logs RUN-ID; see vps-test status)');
  const run = findRun(runId);
  if (!run) throw new UsageError(`logs: no run '${runId}' here or in this user's run registry`);
  const lines = Number(values.lines ?? 50);
  if (!Number.isInteger(lines) || lines < 1) throw new UsageError(`--lines ${values.lines}: expected a positive whole number`);
  if (values.node) return nodeLogs(run, values.node, lines, Boolean(values.follow));
  return runLog(run, Boolean(values.follow));
}

async function runLog(run: RunStateFile, follow: boolean): Promise<number> {
  const file = join(run.dir, RUN_LOG);
  let offset = 0;
  const print = () => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      process.stdout.write(buf);
      offset = size;
    } finally {
      closeSync(fd);
    }
  };
  print();
  if (!existsSync(file)) console.error(`(no run log yet: ${file})`);
  if (!follow) return 0;
  const stop = new AbortController();
  const onSig = () => stop.abort();
  process.once('SIGINT', onSig);
  try {
    while (!stop.signal.aborted) {
      await new Promise((r) => setTimeout(r, 300));
      print();
      const fresh = findRun(run.state.runId);
      if (fresh && runStatus(fresh).controller.liveness !== 'alive') {
        print();
        break;
      }
    }
  } finally {
    process.off('SIGINT', onSig);
  }
  return 0;
}

async function nodeLogs(run: RunStateFile, name: string, lines: number, follow: boolean): Promise<number> {
  const collected = join(run.dir, 'logs', name);
  if (!run.state.fleetUp) {
    if (!existsSync(collected)) throw new UsageError(`logs: run ${run.state.runId} is down and no logs of node '${name}' were collected (${collected})`);
    for (const f of readdirSync(collected).sort()) {
      console.log(`==> ${join(collected, f)} <==`);
      process.stdout.write(readFileSync(join(collected, f), 'utf8').split('\n').slice(-lines - 1).join('\n'));
    }
    return 0;
  }
  const fleet = await readFleet(run.dir);
  const node = fleet.nodes.find((n) => n.name === name);
  if (!node) throw new UsageError(`logs: no node '${name}' in run ${run.state.runId} (nodes: ${fleet.nodes.map((n) => n.name).join(', ')})`);
  const pool = SshPool.forFleet(fleet, { connectTimeoutMs: 5000 });
  const stop = new AbortController();
  const onSig = () => stop.abort();
  process.once('SIGINT', onSig);
  try {
    const dir = shellQuote(`${node.workdir}/logs`);
    const cmd = `cd ${dir} 2>/dev/null || { echo "no logs on ${node.name} yet"; exit 0; }; ls *.log >/dev/null 2>&1 || { echo "no logs on ${node.name} yet"; exit 0; }; exec tail -n ${lines} ${follow ? '-F ' : ''}*.log`;
    const r = await pool.exec(node, cmd, { onStdout: (c) => process.stdout.write(c), onStderr: (c) => process.stderr.write(c), signal: stop.signal }).catch((err: Error) => {
      if (stop.signal.aborted) return { code: 0 };
      throw err;
    });
    return r.code === 0 || stop.signal.aborted ? 0 : 1;
  } finally {
    process.off('SIGINT', onSig);
    await pool.close();
  }
}
