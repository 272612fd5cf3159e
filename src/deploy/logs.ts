// Log collection from every node into destDir/<node>/, also after failures: an unreachable node
// is recorded and the others are still collected.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FleetNode } from '../fleet/types.js';
import { mapLimit } from '../ssh/limiter.js';
import type { SshPool } from '../ssh/pool.js';
import { shellQuote } from '../shell/quote.js';

export interface NodeLogs {
  node: string;
  ok: boolean;
  /** Local paths of the collected files. */
  files: string[];
  error?: string;
}

export interface CollectOptions {
  concurrency?: number;
  /** Per node deadline for listing. Default 20 s. */
  timeoutMs?: number;
}

/** Plain files directly in `<workdir>/logs`, one name per line. */
export function renderListLogs(workdir: string): string {
  const dir = shellQuote(`${workdir}/logs`);
  return `[ -d ${dir} ] || exit 0; cd ${dir} && for f in * .[!.]*; do [ -f "$f" ] && printf '%s\\n' "$f"; done; exit 0`;
}

/**
 * The journal of the run's units (vps-test-*.service) into `<workdir>/logs/journal.txt`; never
 * fails the collection. The units are found in the journal itself (the services' own lines carry
 * _SYSTEMD_UNIT, systemd's lines about a unit carry UNIT): `journalctl -u 'vps-test-*'` matches
 * loaded units only, and by collection time teardown has stopped them. Matching by field, not
 * by text: a boot's early lines carry the image's hostname, which also starts with vps-test-.
 */
export function renderJournalDump(workdir: string): string {
  const dir = shellQuote(`${workdir}/logs`);
  return [
    `mkdir -p ${dir}`,
    `units=$({ journalctl -F UNIT; journalctl -F _SYSTEMD_UNIT; } 2>/dev/null | grep -E '^vps-test-[A-Za-z0-9_.@-]+[.]service$' | sort -u)`,
    'set --',
    'for u in $units; do [ $# -gt 0 ] && set -- "$@" +; set -- "$@" "_SYSTEMD_UNIT=$u" + "UNIT=$u"; done',
    `if [ $# -gt 0 ]; then journalctl --no-pager -o short-iso "$@" > ${dir}/journal.txt 2>&1; else : > ${dir}/journal.txt; fi`,
    'exit 0',
  ].join('; ');
}

export async function collectLogs(pool: SshPool, nodes: readonly FleetNode[], destDir: string, options: CollectOptions = {}): Promise<NodeLogs[]> {
  return mapLimit(nodes, options.concurrency ?? 8, async (node) => {
    const out: NodeLogs = { node: node.name, ok: false, files: [] };
    try {
      // a systemd machine's units log to the journal as well (starts, kills, restarts): kept beside the files
      if (node.systemd) await pool.exec(node, renderJournalDump(node.workdir), { timeoutMs: options.timeoutMs ?? 20_000 });
      const list = await pool.exec(node, renderListLogs(node.workdir), { timeoutMs: options.timeoutMs ?? 20_000 });
      if (list.code !== 0) throw new Error(`listing ${node.workdir}/logs failed: ${list.stderr.trim() || `exit ${list.code}`}`);
      const names = list.stdout.split('\n').filter((n) => n !== '' && !n.includes('/'));
      const local = path.join(destDir, node.name);
      await mkdir(local, { recursive: true });
      for (const name of names) {
        const target = path.join(local, name);
        await pool.download(node, `${node.workdir}/logs/${name}`, target);
        out.files.push(target);
      }
      out.ok = true;
    } catch (err) {
      out.error = (err as Error).message;
    }
    return out;
  });
}
