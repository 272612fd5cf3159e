// The naive baseline a user would write: for each node, one after the other, `scp` the binary
// to its place, then `ssh chmod 755` it. OpenSSH defaults, the run's client key, host keys
// pinned by a known_hosts file (StrictHostKeyChecking=yes).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FleetNode } from '../../src/providers/types.js';
import type { BenchFleet } from './fleets.js';

const run = promisify(execFile);

function sshOptions(fleet: BenchFleet): string[] {
  return ['-i', fleet.clientKeyPath, '-o', `UserKnownHostsFile=${fleet.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
}

export function installedPath(node: FleetNode, name: string): string {
  return `${node.workdir}/bin/${name}`;
}

/** scp + ssh chmod, node after node; returns the wall time in ms. */
export async function scpLoop(fleet: BenchFleet, file: string, name: string): Promise<number> {
  const started = performance.now();
  for (const node of fleet.nodes) {
    const target = installedPath(node, name);
    await run('scp', ['-q', ...sshOptions(fleet), '-P', String(node.ssh.port), file, `${node.ssh.user}@${node.ssh.host}:${target}`]);
    await run('ssh', [...sshOptions(fleet), '-p', String(node.ssh.port), `${node.ssh.user}@${node.ssh.host}`, `chmod 755 '${target}'`]);
  }
  return performance.now() - started;
}

/**
 * Not timed: every node holds exactly the artifact at its path, executable. The nodes' workdirs
 * are on this machine's filesystem (lab and loopback fleets), so they are read directly.
 */
export async function verifyInstalled(fleet: BenchFleet, name: string, sha256: string, who: string): Promise<void> {
  for (const node of fleet.nodes) {
    const file = installedPath(node, name);
    const got = createHash('sha256').update(await readFile(file)).digest('hex');
    if (got !== sha256) throw new Error(`${who}: ${file} on node "${node.name}" has sha256 ${got}, expected ${sha256}`);
    if (((await stat(file)).mode & 0o111) !== 0o111) throw new Error(`${who}: ${file} on node "${node.name}" is not executable`);
  }
}

/** Empty bin directories (existing, as scp needs its target directory). */
export async function clearBins(fleet: BenchFleet): Promise<void> {
  for (const node of fleet.nodes) {
    const dir = path.join(node.workdir, 'bin');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
}
