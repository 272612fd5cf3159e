// How far apart the commands of one round start on a kept fleet: one `date` per node through
// the SSH pool, all at once, on warm connections. Run: npx tsx bench/scale/exec-spread.ts RUN_DIR [--reps 3]
import { parseArgs } from 'node:util';
import { readFleet } from '../../src/providers/fleet-file.js';
import { SshPool } from '../../src/ssh/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { reps: { type: 'string', default: '3' } } });
const runDir = positionals[0];
if (!runDir) throw new Error('usage: exec-spread.ts RUN_DIR');
const fleet = await readFleet(runDir);
const pool = SshPool.forFleet(fleet);
try {
  await Promise.all(fleet.nodes.map((n) => pool.exec(n, 'true')));
  for (let r = 0; r < Number(values.reps); r++) {
    const sent = Date.now();
    const starts = await Promise.all(fleet.nodes.map(async (n) => Number((await pool.exec(n, 'date +%s%3N', { asNode: true })).stdout.trim()) - sent));
    starts.sort((a, b) => a - b);
    const q = (p: number) => starts[Math.min(starts.length - 1, Math.floor(p * starts.length))];
    console.log(`${fleet.nodes.length} nodes: command started after p10 ${q(0.1)} ms, p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms; returned after ${Date.now() - sent} ms`);
  }
} finally {
  await pool.close();
}
