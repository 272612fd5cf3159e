// one-off verification of a single VM lab (not committed)
import { createLab } from '/work/wt/vm/src/lab/lab.js';
import { systemExec } from '/work/wt/vm/src/lab/exec.js';
import { prepareVms, VmMachines } from '/work/wt/vm/src/vm/index.js';
import { SshPool } from '/work/wt/vm/src/ssh/index.js';
import { startService, serviceStatus } from '/work/wt/vm/src/deploy/service.js';
import { collectLogs } from '/work/wt/vm/src/deploy/logs.js';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
const log = (l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`);
const { image, accel } = await prepareVms(systemExec, log);
const vms = new VmMachines({ image, accel });
const lab = await createLab({ runId: 'vmchk1', nodes: [{ name: 'boot', nat: 'none', role: 'bootstrap' }, { name: 'vm0', nat: 'full-cone', role: 'peer', machine: 'vm', impair: { delayMs: 50 } }], labRoot: '/tmp/vmchk/lab' }, { onProgress: log, machines: vms, handleSignals: false });
log(`boots: ${JSON.stringify(vms.boots)}`);
const pool = SshPool.forFleet(lab.fleet);
try {
  const vm = lab.fleet.nodes.find((n) => n.name === 'vm0')!;
  const boot = lab.fleet.nodes.find((n) => n.name === 'boot')!;
  log((await pool.exec(vm, `uname -r; cloud-init status; tc qdisc show dev eth0; ping -n -c 5 -i 0.3 ${boot.publicIp} | tail -1`, { timeoutMs: 120_000 })).stdout);
  const s = await startService(pool, vm, { name: 'echo', command: 'python3 -m http.server 7300 --bind 0.0.0.0', ready: { tcp: 7300, timeoutMs: 120_000 } });
  log(`started ${JSON.stringify(s)}`);
  await pool.exec(vm, `kill -9 ${s.pid}`);
  let st = await serviceStatus(pool, vm, 'echo');
  for (let i = 0; i < 90 && !(st.running && st.pid !== s.pid); i++) { await new Promise((r) => setTimeout(r, 1000)); st = await serviceStatus(pool, vm, 'echo'); }
  log(`after kill: ${JSON.stringify(st)}`);
  const logs = await collectLogs(pool, [vm], '/tmp/vmchk/logs');
  log(`logs: ${JSON.stringify(logs)}`);
  log(readFileSync('/tmp/vmchk/logs/vm0/journal.txt', 'utf8').split('\n').filter((l) => /vps-test-echo/.test(l)).join('\n'));
} finally {
  await pool.close();
  await lab.destroy();
  log(`after destroy: netns ${execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('vtvmchk1')).length}, qemu ${execFileSync('sh', ['-c', 'pgrep -f "qemu-system-x86_64 -name vtvmchk1" || true'], { encoding: 'utf8' }).trim() || 'none'}, vm files ${readdirSync('/tmp/vmchk/lab/vm/vm0').join(',')}`);
}
