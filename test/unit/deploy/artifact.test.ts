import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCheck, renderCheckScript, renderReceiveScript } from '../../../src/deploy/artifact-scripts.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-artifact-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('check script', () => {
  it('reports sha, zstd and the services whose spec names the binary (run in a local sh)', () => {
    const work = path.join(dir, 'w1');
    const bin = path.join(work, 'bin', 'app');
    spawnSync('mkdir', ['-p', path.dirname(bin), path.join(work, 'run')]);
    writeFileSync(bin, 'hello');
    writeFileSync(path.join(work, 'run', 'svc.spec.json'), JSON.stringify({ name: 'svc', command: `${bin} --x` }));
    writeFileSync(path.join(work, 'run', 'other.spec.json'), JSON.stringify({ name: 'other', command: '/bin/true' }));
    const r = spawnSync('/bin/sh', ['-c', renderCheckScript(bin, work)], { encoding: 'utf8' });
    const check = parseCheck(r.stdout);
    expect(check.sha256).toBe(sha(Buffer.from('hello')));
    expect(check.services).toEqual(['svc']);
    expect(typeof check.zstd).toBe('boolean');
    expect(parseCheck(spawnSync('/bin/sh', ['-c', renderCheckScript(path.join(work, 'bin', 'nope'), work)], { encoding: 'utf8' }).stdout).sha256).toBe('none');
  });
});

describe('receive script', () => {
  const payload = Buffer.from('#!/bin/sh\necho v1\n');
  const run = (expected: string, install: boolean) => {
    const work = mkdtempSync(path.join(dir, 'recv-'));
    const binary = path.join(work, 'bin', 'app');
    const tmp = path.join(work, 'bin', '.app.upload');
    const r = spawnSync('/bin/sh', ['-c', renderReceiveScript({ binary, tmp, sha256: expected, decoder: 'gunzip -c', install })], { input: gzipSync(payload) });
    return { r, binary, tmp, work };
  };

  it('decodes, verifies, and renames into place (executable)', () => {
    const { r, binary, tmp } = run(sha(payload), true);
    expect(r.status).toBe(0);
    expect(readFileSync(binary)).toEqual(payload);
    expect(existsSync(tmp)).toBe(false);
    expect(spawnSync(binary, { encoding: 'utf8' }).stdout).toBe('v1\n');
  });

  it('refuses a sha mismatch with exit 3 and leaves no file behind', () => {
    const { r, work } = run('0'.repeat(64), true);
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toContain(`expected ${'0'.repeat(64)}`);
    expect(readdirSync(path.join(work, 'bin'))).toEqual([]);
  });

  it('without install, leaves the verified temp file for a later rename', () => {
    const { r, binary, tmp } = run(sha(payload), false);
    expect(r.status).toBe(0);
    expect(existsSync(binary)).toBe(false);
    expect(readFileSync(tmp)).toEqual(payload);
  });
});
