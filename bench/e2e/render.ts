// The "## e2e" section of bench/RESULTS.md. Pure: data in, markdown out.
import { STAGES } from '../../src/run/state.js';
import type { NaiveResult } from './naive.js';
import type { PipelineRun } from './pipeline-runs.js';
import { seconds, spread, SSH_LOSS, type Tally } from './stats.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  kernel: string;
  node: string;
  loadAtStart: number[];
  loadAtEnd: number[];
}

export interface E2eReport {
  date: Date;
  machine: Machine;
  example: string;
  fleetLine: string;
  suiteLine: string;
  warmupBuildMs: number;
  runs: PipelineRun[];
  /** runs that ended before all stages were done: not timed, reported */
  failedRuns: PipelineRun[];
  naive: NaiveResult;
  goalMs: number;
  probeTimeoutMs: number;
  relayPairs: number;
}

const SSH_LOSS_NOTE =
  `Cause of the lost SSH connections (reproduced in isolation: a command whose output comes after a flush loses its connection on a symmetric-NAT node, never on a port-restricted one): the symmetric NAT router masquerades with \`oifname wan masquerade random\`, which also catches ` +
  `its own sshd's packets; after the \`conntrack -F\` between rounds, if the router's side of the controller's SSH connection sends first (data, a delayed ACK), ` +
  `the connection is picked up again as new and its source port 22 is rewritten to a random port, and the controller resets it. Fix (src/lab): masquerade only the LAN ` +
  `(\`oifname wan ip saddr <lan> masquerade random\`), or flush UDP entries only (\`conntrack -D -p udp\`).`;

function okLine(t: Tally): string {
  return `${t.ok}/${t.attempts} ok, ${t.onExpectedPath} on the expected path`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function renderE2eSection(r: E2eReport): string {
  const m = r.machine;
  const lines: string[] = [];
  const stamp = r.date.toISOString().slice(0, 16).replace('T', ' ');
  lines.push(
    `Run ${stamp} UTC, \`npx tsx bench/e2e/run.ts\`. Machine: ${m.cpus} CPUs (${m.cpuModel}), kernel ${m.kernel}, Node ${m.node}; load average (1/5/15 min) ${m.loadAtStart.map((x) => x.toFixed(2)).join(' / ')} at start, ${m.loadAtEnd.map((x) => x.toFixed(2)).join(' / ')} at end (other engineers' work shares the machine).`,
    '',
    `Subject: the default example \`${r.example}\`: ${r.fleetLine}; ${r.suiteLine}.`,
    `Each run is \`vps-test run --yes\` through the real CLI (\`node bin/vps-test.js\`, the bundled dist/cli.js the README's \`npx vps-test run\` starts, its own process) in a fresh temporary working directory, so the run lands there. ` +
      `Stage times are the run's own records in \`state.json\`; wall time is from spawning the CLI to its exit. ` +
      `Zig cache warm: one warm-up build of the agent (${seconds(r.warmupBuildMs, 1)}, same zig cache) before the runs. Median of ${r.runs.length} runs.`,
    '',
    row(['stage', 'median', 'min', 'max']),
    row(['---', '---', '---', '---']),
  );
  for (const stage of STAGES) {
    const values = r.runs.map((x) => x.stages[stage]).filter((v): v is number => v !== undefined);
    if (values.length === 0) continue;
    const s = spread(values);
    lines.push(row([stage, seconds(s.median), seconds(s.min), seconds(s.max)]));
  }
  const sums = r.runs.map((x) => Object.values(x.stages).reduce((a, b) => a + (b ?? 0), 0));
  const sum = spread(sums);
  lines.push(row(['sum of stages', seconds(sum.median), seconds(sum.min), seconds(sum.max)]));
  const wall = spread(r.runs.map((x) => x.wallMs));
  lines.push(row(['**total wall time** (CLI start to exit)', `**${seconds(wall.median)}**`, seconds(wall.min), seconds(wall.max)]));
  lines.push(
    '',
    `All runs: wall ${r.runs.map((x) => (x.wallMs / 1000).toFixed(2)).join(', ')} s; verdicts ${r.runs.map((x) => `${(x.verdict ?? 'none').toUpperCase()} (exit ${x.exitCode})`).join(', ')}; ` +
      `TEST outcome ${r.runs.map((x) => okLine(x.tally)).join('; ')}. ` +
      `Wall time minus the sum of stages is the CLI's own start and exit (Node start-up, loading the bundle). ` +
      `A TEST round takes ${seconds(spread(r.runs.map((x) => x.stages.test ?? NaN)).median / r.naive.trialsPlanned)}: as long as its slowest pair, here the ${r.relayPairs} pairs expected to need the relay, ` +
      `which punch for 0.35 x the ${r.probeTimeoutMs} ms probe timeout before falling back (agent/src/probe.c), a floor of ${seconds(0.35 * r.probeTimeoutMs)} per round.`,
  );
  if (r.failedRuns.length) {
    const total = r.runs.length + r.failedRuns.length;
    lines.push(
      '',
      `**${r.failedRuns.length} of ${total} runs did not complete** and are not in the table: ` +
        `${r.failedRuns.map((x) => `run ${x.runId} (exit ${x.exitCode}, after ${seconds(x.wallMs, 1)}): ${x.failedStages.join('; ')}`).join('; ')}.`,
    );
  }

  const n = r.naive;
  const ours = spread(r.runs.map((x) => x.stages.test ?? NaN)).median;
  const naiveLabel = n.extrapolated
    ? `**extrapolated**: ${n.trialsMeasured} of ${n.trialsPlanned} trials measured (${seconds(n.measuredMs, 1)}) x ${n.trialsPlanned / n.trialsMeasured}`
    : `measured, all ${n.trialsPlanned} trials`;
  lines.push(
    '',
    '### TEST stage: naive loop vs ours',
    '',
    `Naive, as teams do it by hand: a lab of the same kind (createLab), the same agent deployed (deployArtifact), \`vps-agent serve\` started on the bootstrap (startService); ` +
      `then for each trial and each of the ${n.pairs} ORDERED pairs, one at a time: \`conntrack -F\` in every NAT router, the same probe command on just those two nodes ` +
      `(each with \`--peers\` the other one) over SSH, wait for both, next pair. SSH runs over one open connection per node (the same pool the pipeline uses), ` +
      `so the difference is the schedule, not connection setup. Ours: every node runs one probe process per round covering all pairs at once, conntrack flushed between rounds.`,
    '',
    row([`TEST stage, ${n.pairs} ordered pairs x ${n.trialsPlanned} trials`, 'time']),
    row(['---', '---']),
    row([`ours (pipeline TEST stage, median of ${r.runs.length})`, seconds(ours)]),
    row([`naive, one ordered pair at a time (${naiveLabel})`, seconds(n.fullStageMs, 1)]),
    row(['**ratio naive / ours**', `**${(n.fullStageMs / ours).toFixed(1)}x**`]),
    '',
    `Naive trials (s): ${n.trialMs.map((t) => (t / 1000).toFixed(1)).join(', ')}, i.e. ${seconds(n.measuredMs / n.trialsMeasured / n.pairs, 2)} per pair; outcome of the measured trials: ${okLine(n.tally)}. ` +
      (n.retries.length ? `${n.retries.length} pair(s) were rerun once after a lost SSH connection (both tries timed): ${n.retries.join('; ')}. ` : 'No pair needed a rerun. ') +
      `Not counted: its setup (lab, deploy, server: ${seconds(n.setupMs, 1)}). ` +
      `Each two-node probe also tests the reverse direction; a loop over the ${n.pairs / 2} unordered pairs would take about half (${seconds(n.fullStageMs / 2, 1)}, derived, not measured: ${(n.fullStageMs / 2 / ours).toFixed(1)}x ours).`,
    '',
    `Goal: a full run under ${r.goalMs / 60_000} minutes on this ${m.cpus}-core machine with the zig cache warm. ` +
      `**${wall.max < r.goalMs ? 'Met' : wall.median < r.goalMs ? 'Met by the median (not by every run)' : 'Not met'}**: median total ${seconds(wall.median, 1)}, slowest ${seconds(wall.max, 1)}.`,
  );
  if (r.failedRuns.some((x) => x.failedStages.some((f) => SSH_LOSS.test(f))) || n.retries.length) lines.push('', SSH_LOSS_NOTE);
  return lines.join('\n');
}
