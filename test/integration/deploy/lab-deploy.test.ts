// deployArtifact on a real lab: 8 machines (public and behind the four NAT kinds, a NAT'd
// machine's sshd on its router), a 20 MB executable, an unchanged redeploy that sends nothing,
// the binary run AS a NAT'd node (inside its host namespace), and nothing left afterwards.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { elfBlob } from '../../helpers/elf-blob.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployArtifact, type BinaryUpload } from '../../../src/deploy/index.js';
import { createLab, destroyLab, type Lab, type LabNodeSpec } from '../../../src/lab/index.js';
import type { FleetNode } from '../../../src/providers/types.js';
import { SshPool } from '../../../src/ssh/index.js';
import { expectNoLeaks, isRoot, uniqueRunId } from '../lab/helpers.js';

if (!isRoot) console.log('skipping lab deploy tests: they need root (network namespaces, nftables, sshd)');

const SIZE = 20 * 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const NODES: LabNodeSpec[] = [
  { name: 'boot', nat: 'none', role: 'bootstrap' },
  { name: 'fullcone', nat: 'full-cone', role: 'peer' },
  { name: 'pub2', nat: 'none', role: 'peer' },
  { name: 'restricted', nat: 'address-restricted', role: 'peer' },
  { name: 'pub4', nat: 'none', role: 'peer' },
  { name: 'portrestr', nat: 'port-restricted', role: 'peer' },
  { name: 'pub6', nat: 'none', role: 'peer' },
  { name: 'symmetric', nat: 'symmetric', role: 'peer' },
];

/**
 * A real executable of `size` bytes: the `ip` binary with ELF files from /usr/bin appended
 * (the kernel maps only the segments its headers name, so the tail is never loaded).
 */
async function paddedIpBinary(size: number): Promise<Buffer> {
  // a runnable program (ip) at the front, so the deployed file can be executed as the node
  return elfBlob(size, await readFile('/bin/ip'));
}

describe.skipIf(!isRoot || !existsSync('/bin/ip'))('deployArtifact on a lab (real netns, NATs, sshd)', () => {
  const runId = uniqueRunId('itdep');
  let tmp = '';
  let lab: Lab;
  let pool: SshPool;
  let artifact: BinaryUpload;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vt-lab-deploy-'));
    lab = await createLab({ runId, nodes: NODES, labRoot: path.join(tmp, 'lab') });
    pool = SshPool.forFleet(lab.fleet);
    const data = await paddedIpBinary(SIZE);
    const file = path.join(tmp, 'agent');
    await writeFile(file, data, { mode: 0o755 });
    artifact = { path: file, sha256: sha256(data), size: data.length, name: 'agent' };
  });

  afterAll(async () => {
    await pool?.close();
    await destroyLab(runId).catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const installed = (node: FleetNode) => path.join(node.workdir, 'bin', 'agent');
  const natted = () => lab.fleet.nodes.filter((n) => n.nat !== 'none');

  it('puts a 20 MB binary on 8 lab nodes (4 behind NATs, reached at their routers): compressed, verified, executable', async () => {
    expect(natted()).toHaveLength(4);
    for (const n of natted()) expect(n.ssh.host).toBe(n.publicIp); // the router is the machine's public side
    const results = await deployArtifact(pool, lab.fleet.nodes, artifact);
    expect(results.map((r) => [r.node, r.status, r.error])).toEqual(NODES.map((n) => [n.name, 'uploaded', undefined]));
    for (const r of results) {
      expect(r.bytesSent).toBeGreaterThan(0);
      expect(r.bytesSent).toBeLessThan(SIZE * 0.6); // really compressed
    }
    for (const node of lab.fleet.nodes) {
      const file = installed(node);
      expect(sha256(await readFile(file)), node.name).toBe(artifact.sha256);
      expect((await stat(file)).mode & 0o111).toBe(0o111);
      expect(await readdir(path.dirname(file))).toEqual(['agent']); // no temp file left
    }
  });

  it('an unchanged redeploy on fresh connections sends 0 bytes and skips every node', async () => {
    const fresh = SshPool.forFleet(lab.fleet);
    try {
      const started = Date.now();
      const results = await deployArtifact(fresh, lab.fleet.nodes, artifact);
      const ms = Date.now() - started;
      expect(results.map((r) => r.status)).toEqual(Array(NODES.length).fill('skipped'));
      expect(results.reduce((sum, r) => sum + r.bytesSent, 0)).toBe(0);
      console.log(`unchanged redeploy of 20 MB to ${NODES.length} lab nodes (fresh connections): ${ms} ms`);
    } finally {
      await fresh.close();
    }
  });

  it('the deployed binary runs as a NAT\'d node, inside its host namespace behind the router', async () => {
    const node = lab.fleet.nodes.find((n) => n.nat === 'symmetric')!;
    expect(node.execPrefix.length).toBeGreaterThan(0);
    const asNode = await pool.exec(node, `${installed(node)} -4 -o addr show`, { asNode: true, timeoutMs: 30_000 });
    expect(asNode.code, asNode.stderr).toBe(0);
    expect(asNode.stdout).toContain(`inet ${node.privateIp}/`);
    expect(asNode.stdout).not.toContain(`inet ${node.publicIp}/`);
    // the same file on the machine's public side (its router) sees the public address instead
    const onMachine = await pool.exec(node, `${installed(node)} -4 -o addr show`, { timeoutMs: 30_000 });
    expect(onMachine.stdout).toContain(`inet ${node.publicIp}/`);
    expect(onMachine.stdout).not.toContain(`inet ${node.privateIp}/`);
  });

  it('destroying the lab leaves no namespace, veth, process or subnet claim of the run', async () => {
    await pool.close();
    await lab.destroy();
    await expectNoLeaks(runId, [lab.labRoot]);
  });
});
