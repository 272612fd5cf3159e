// deployArtifact against 8 real sshd nodes on 127.0.0.1.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployArtifact, type BinaryUpload } from '../../../src/deploy/index.js';
import { SshPool } from '../../../src/ssh/index.js';
import { startSshds, type SshdFleet } from '../../helpers/sshd.js';
import { elfBlob } from '../../helpers/elf-blob.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping deploy integration tests: they start sshd and need root');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!isRoot)('deployArtifact', () => {
  let sshd: SshdFleet;
  let pool: SshPool;
  let artifact: BinaryUpload;
  let data: Buffer;

  beforeAll(async () => {
    sshd = await startSshds(8);
    pool = SshPool.forFleet(sshd.fleet);
    data = await elfBlob(20 * 1024 * 1024);
    const file = path.join(sshd.dir, 'agent');
    writeFileSync(file, data, { mode: 0o755 });
    artifact = { path: file, sha256: sha256(data), size: data.length, name: 'agent' };
  });

  afterAll(async () => {
    await pool?.close();
    const left = await sshd?.leftovers();
    await sshd?.cleanup();
    expect(left).toEqual([]);
  });

  const installed = (workdir: string, name = 'agent') => path.join(workdir, 'bin', name);
  const binDirEntries = () => sshd.nodes.flatMap((n) => readdirSync(path.join(n.workdir, 'bin')));

  it('puts a 20 MB binary on 8 nodes, compressed, verified, executable, no temp files', async () => {
    const results = await deployArtifact(pool, sshd.nodes, artifact);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('uploaded'));
    for (const r of results) {
      expect(r.bytesSent).toBeGreaterThan(0);
      expect(r.bytesSent).toBeLessThan(data.length * 0.6); // really compressed
    }
    for (const node of sshd.nodes) {
      const file = installed(node.workdir);
      expect(sha256(readFileSync(file))).toBe(artifact.sha256);
      expect(statSync(file).mode & 0o111).toBe(0o111);
    }
    expect(binDirEntries().sort()).toEqual(Array(8).fill('agent'));
  });

  it('a second deploy of the same binary uploads nothing', async () => {
    const fresh = SshPool.forFleet(sshd.fleet);
    try {
      const started = Date.now();
      const results = await deployArtifact(fresh, sshd.nodes, artifact);
      const ms = Date.now() - started;
      expect(results.filter((r) => r.status === 'skipped')).toHaveLength(8);
      expect(results.reduce((sum, r) => sum + r.bytesSent, 0)).toBe(0);
      console.log(`unchanged redeploy of 20 MB to 8 nodes (fresh connections): ${ms} ms`);
    } finally {
      await fresh.close();
    }
  });

  it('a changed binary replaces the old one atomically on every node', async () => {
    const v2 = Buffer.concat([data.subarray(0, data.length - 5), Buffer.from('v2!!!')]);
    const file = path.join(sshd.dir, 'agent-v2');
    writeFileSync(file, v2);
    const results = await deployArtifact(pool, sshd.nodes, { ...artifact, path: file, sha256: sha256(v2) });
    expect(results.every((r) => r.status === 'uploaded')).toBe(true);
    for (const node of sshd.nodes) expect(sha256(readFileSync(installed(node.workdir)))).toBe(sha256(v2));
    expect(binDirEntries().sort()).toEqual(Array(8).fill('agent'));
  });

  it('gzip, raw and zstd transfers give the same file', async () => {
    const [n1, n2, n3] = sshd.nodes;
    for (const [node, method] of [[n1!, 'gzip'], [n2!, 'raw'], [n3!, 'zstd']] as const) {
      const [r] = await deployArtifact(pool, [node], { ...artifact, name: `agent-${method}` }, { method });
      expect(r).toMatchObject({ status: 'uploaded', encoding: method });
      expect(sha256(readFileSync(installed(node.workdir, `agent-${method}`)))).toBe(artifact.sha256);
    }
  });

  it('refuses to install when the local file does not match the recorded sha256', async () => {
    const results = await deployArtifact(pool, sshd.nodes.slice(0, 3), { ...artifact, name: 'agent-bad', sha256: 'a'.repeat(64) });
    for (const r of results) {
      expect(r.status).toBe('failed');
      expect(r.error).toContain(`has sha256 ${artifact.sha256}, but the build recorded ${'a'.repeat(64)}`);
    }
    for (const node of sshd.nodes.slice(0, 3)) expect(readdirSync(path.join(node.workdir, 'bin')).filter((f) => f.includes('agent-bad'))).toEqual([]);
  });

  it('an unreachable node fails alone; the others are deployed', async () => {
    const dead = sshd.nodes[7]!;
    await sshd.stopNode(dead.name);
    const fresh = SshPool.forFleet(sshd.fleet);
    try {
      const results = await deployArtifact(fresh, sshd.nodes, { ...artifact, name: 'agent-partial' });
      expect(results.slice(0, 7).every((r) => r.status === 'uploaded')).toBe(true);
      expect(results[7]).toMatchObject({ node: dead.name, status: 'failed' });
      expect(results[7]!.error).toMatch(new RegExp(`cannot connect to node "${dead.name}" at 127.0.0.1:${dead.ssh.port}`));
    } finally {
      await fresh.close();
    }
  });

  it('rejects names that are not plain file names', async () => {
    await expect(deployArtifact(pool, sshd.nodes, { ...artifact, name: '../evil' })).rejects.toThrow(/plain file name/);
  });
});
