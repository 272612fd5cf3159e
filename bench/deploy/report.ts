// Measurements -> the markdown of bench/RESULTS.md's "## deploy" section. Pure.
import type { Measurements } from './measure.js';

export interface FleetReport {
  title: string;
  description: string;
  nodes: number;
  m: Measurements;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const all = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');

export function ratio(m: Measurements): number {
  return median(m.scp) / median(m.deploy);
}

export function renderFleet(f: FleetReport, repeats: number): string[] {
  const { m, nodes } = f;
  return [
    `### ${f.title}`,
    '',
    `Fleet: ${f.description}. Median of ${repeats} runs (all runs, ms: scp loop ${all(m.scp)}; deployArtifact ${all(m.deploy)}; unchanged redeploy ${all(m.redeployCold)}).`,
    '',
    '| what | time |',
    '| --- | --- |',
    `| sequential loop \`scp\` + \`ssh chmod 755\`, ${nodes} nodes | ${sec(median(m.scp))} |`,
    `| deployArtifact: ${m.encoding} ${mib(m.wire.deploy)} per node through one exec per node, sha256 verified on the node, atomic rename; ${nodes} nodes in parallel, connects included | ${sec(median(m.deploy))} |`,
    `| **ratio scp loop / deployArtifact** | **${ratio(m).toFixed(1)}x** |`,
    `| unchanged redeploy, fresh connections (sha256 check only, 0 bytes sent) | ${sec(median(m.redeployCold))} |`,
    `| unchanged redeploy on an open pool | ${sec(median(m.redeployWarm))} |`,
    `| deployArtifact on an open pool (no connects) | ${sec(median(m.deployOpenPool))} |`,
    `| deployArtifact with gzip -1 (${mib(m.wire.gzip)} per node; nodes without zstd) | ${sec(median(m.gzip))} |`,
    `| deployArtifact with plain sftp (no compression) | ${sec(median(m.sftp))} |`,
    `| for scale: ${2 * nodes} sequential \`ssh node true\` (the handshakes the scp loop pays) | ${sec(median(m.sshHandshakes))} |`,
    '',
  ];
}
