// The one-exec deploy script, run by a real local sh: skip when the installed binary matches,
// install a received stream, refuse a stream with another sha256 (and leave no temp file).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDeployScript } from '../../../src/deploy/artifact-scripts.js';

const work = mkdtempSync(join(tmpdir(), 'vps-test-deploy-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const payload = Buffer.from('#!/bin/sh\necho deployed\n');
const sha = createHash('sha256').update(payload).digest('hex');

function run(script: string, stdin: Buffer | string) {
  return spawnSync('sh', ['-c', script], { input: typeof stdin === 'string' ? Buffer.from(stdin) : stdin });
}

describe('renderDeployScript', () => {
  const binary = join(work, 'bin', 'agent');
  const tmp = join(work, 'bin', '.agent.tmp');
  const script = renderDeployScript({ binary, tmp, sha256: sha, workdir: work });

  it('installs a gzip stream after the decision line, executable and verified', () => {
    const r = run(script, Buffer.concat([Buffer.from('gzip install\n'), gzipSync(payload)]));
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toMatch(/^sha=none\nzstd=(yes|no)\n[\s\S]*ready\n/);
    expect(readFileSync(binary)).toEqual(payload);
    expect(statSync(binary).mode & 0o111).not.toBe(0);
    expect(execFileSync(binary, { encoding: 'utf8' })).toBe('deployed\n');
    expect(existsSync(tmp)).toBe(false);
  });

  it('stops after the hash when the installed binary already matches', () => {
    const r = run(script, 'gzip install\n');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(`sha=${sha}\n`);
  });

  it('refuses a stream whose sha256 differs and leaves neither the temp file nor a changed binary', () => {
    const other = renderDeployScript({ binary, tmp, sha256: 'a'.repeat(64), workdir: work });
    writeFileSync(binary, payload);
    const r = run(other, Buffer.concat([Buffer.from('gzip install\n'), gzipSync(Buffer.from('tampered'))]));
    expect(r.status).toBe(3);
    expect(readFileSync(binary)).toEqual(payload);
    expect(existsSync(tmp)).toBe(false);
  });

  it('rejects an unknown encoding', () => {
    rmSync(binary, { force: true });
    const r = run(script, 'lz4 install\n');
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/unknown encoding "lz4"/);
  });
});
