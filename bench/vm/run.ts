// VM machines: boot time and host memory per VM (docs/architecture.md, "VM machines"), against
// the naive baseline of the same machines as namespaces, in the same run. A lab of N public
// VMs booting at once (default 1, then 3): qemu start -> SSH banner -> verified SSH with
// cloud-init done; qemu's resident memory after boot.
// Usage: sudo npx tsx bench/vm/run.ts [--vms 1,3]
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { createLab } from '../../src/lab/lab.js';
import { systemExec } from '../../src/lab/exec.js';
import { prepareVms, VmMachines } from '../../src/vm/index.js';

const arg = process.argv.indexOf('--vms');
const counts = (arg > 0 ? (process.argv[arg + 1] ?? '1,3') : '1,3').split(',').map(Number);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const log = (l: string) => process.stderr.write(`${l}\n`);

const { image, accel } = await prepareVms(systemExec, log);
const rows: string[] = [];
for (const n of counts) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vps-test-bench-vm-'));
  const nodes = Array.from({ length: n }, (_, i) => ({ name: `vm${i}`, nat: 'none' as const, role: 'peer' as const }));
  try {
    const t0 = Date.now();
    const base = await createLab({ runId: `benchns${n}${process.pid % 1000}`, nodes, labRoot: path.join(root, 'ns') }, { onProgress: log });
    const nsMs = Date.now() - t0;
    await base.destroy();
    const vms = new VmMachines({ image, accel, parallel: n });
    const t1 = Date.now();
    const lab = await createLab({ runId: `benchvm${n}${process.pid % 1000}`, nodes: nodes.map((x) => ({ ...x, machine: 'vm' as const })), labRoot: path.join(root, 'vm') }, { onProgress: log, machines: vms });
    const vmMs = Date.now() - t1;
    await lab.destroy();
    const banner = median(vms.boots.map((b) => b.bannerMs));
    const ready = median(vms.boots.map((b) => b.readyMs));
    const rss = median(vms.boots.map((b) => b.rssMb ?? 0));
    rows.push(`| ${n} at once (${accel.kind}) | ${(banner / 1000).toFixed(1)} s | ${(ready / 1000).toFixed(1)} s | ${rss} MiB | ${(vmMs / 1000).toFixed(1)} s | ${(nsMs / 1000).toFixed(1)} s |`);
    log(`all boots: ${JSON.stringify(vms.boots)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
console.log(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npx tsx bench/vm/run.ts --vms ${counts.join(',')}\` (Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)}). Accelerator: ${accel.reason}. Image ${image.dir}.\n`);
console.log('| VMs | SSH banner (median) | verified SSH + cloud-init done (median) | qemu RSS after boot (median) | whole lab ready | baseline: same lab as namespaces |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
