// Prebuilt binaries from a path and from a real local HTTP server, verified by sha256.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPrebuilt, defaultPrebuiltName, verifySha256 } from '../../../src/build/prebuilt.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-prebuilt-'));
const content = Buffer.from('#!/bin/sh\necho prebuilt\n');
const sha = createHash('sha256').update(content).digest('hex');
writeFileSync(join(dir, 'node-bin'), content);
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.split('?')[0] === '/dl/node-bin') res.end(content);
    else res.writeHead(404).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('prebuilt', () => {
  it('copies a verified local file to <outDir>/<target>/<name>, executable', async () => {
    const [artifact] = await buildPrebuilt(
      { kind: 'prebuilt', binaries: [{ target: 'x86_64-linux-musl', path: 'node-bin', sha256: sha.toUpperCase() }] },
      { cwd: dir, outDir: join(dir, 'out') },
    );
    expect(artifact).toEqual({ target: 'x86_64-linux-musl', path: join(dir, 'out', 'x86_64-linux-musl', 'node-bin'), sha256: sha, size: content.length });
    expect(statSync(artifact!.path).mode & 0o111).toBeTruthy();
  });
  it('downloads over http and verifies', async () => {
    const [artifact] = await buildPrebuilt(
      { kind: 'prebuilt', name: 'svc', binaries: [{ target: 'aarch64-linux-musl', url: `${base}/dl/node-bin?x=1`, sha256: sha }] },
      { cwd: dir, outDir: join(dir, 'out2') },
    );
    expect(readFileSync(artifact!.path)).toEqual(content);
  });
  it('fails on a mismatch naming both hashes, and leaves no artifact', async () => {
    const wrong = 'ab'.repeat(32);
    await expect(
      buildPrebuilt({ kind: 'prebuilt', binaries: [{ target: 'x86_64-linux-musl', path: 'node-bin', sha256: wrong }] }, { cwd: dir, outDir: join(dir, 'out3') }),
    ).rejects.toThrow(`sha256 mismatch: expected ${wrong}, got ${sha}`);
    expect(() => statSync(join(dir, 'out3', 'x86_64-linux-musl', 'node-bin'))).toThrow();
  });
  it('reports HTTP errors, missing files and malformed hashes clearly', async () => {
    const opts = { cwd: dir, outDir: join(dir, 'out4') };
    await expect(buildPrebuilt({ kind: 'prebuilt', binaries: [{ target: 't', url: `${base}/missing`, sha256: sha }] }, opts)).rejects.toThrow(/HTTP 404/);
    await expect(buildPrebuilt({ kind: 'prebuilt', binaries: [{ target: 't', path: 'nope', sha256: sha }] }, opts)).rejects.toThrow(/file not found/);
    expect(() => verifySha256(content, 'xyz', 'p')).toThrow(/64 hex digits/);
    expect(defaultPrebuiltName([{ target: 't', url: 'https://h/x/agent-v1?token=1', sha256: sha }])).toBe('agent-v1');
  });
});
