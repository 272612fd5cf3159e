import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFile, hasLocalZstd, SharedStream } from '../../../src/deploy/compress.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-compress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('SharedStream', () => {
  it('gives every reader all bytes, including readers that join late', async () => {
    const source = new PassThrough();
    const shared = new SharedStream(source);
    const early = readAll(shared.reader());
    source.write(Buffer.from('ab'));
    await new Promise((r) => setTimeout(r, 5));
    const late = readAll(shared.reader());
    source.end(Buffer.from('cd'));
    expect((await early).toString()).toBe('abcd');
    expect((await late).toString()).toBe('abcd');
    expect(await shared.done).toBe(4);
    expect((await readAll(shared.reader())).toString()).toBe('abcd');
  });

  it('passes a source error to its readers', async () => {
    const source = new PassThrough();
    const shared = new SharedStream(source);
    const reading = readAll(shared.reader());
    source.destroy(new Error('disk on fire'));
    await expect(reading).rejects.toThrow('disk on fire');
    await expect(shared.done).rejects.toThrow('disk on fire');
  });
});

describe('encodeFile', () => {
  const file = path.join(dir, 'bin');
  const data = Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`line ${i % 17} of a fairly repetitive file\n`)));
  writeFileSync(file, data);

  it('gzip decodes back to the file and is smaller', async () => {
    const gz = await readAll(encodeFile(file, 'gzip').reader());
    expect(gz.length).toBeLessThan(data.length / 4);
    expect(gunzipSync(gz)).toEqual(data);
  });

  it('zstd (when installed) decodes back to the file with the zstd CLI', async () => {
    if (!(await hasLocalZstd())) return console.log('zstd not installed: zstd encoding not tested');
    const z = await readAll(encodeFile(file, 'zstd').reader());
    expect(execFileSync('zstd', ['-d', '-q', '-c'], { input: z })).toEqual(data);
  });

  it('a missing file is an error, not an empty stream', async () => {
    await expect(readAll(encodeFile(path.join(dir, 'missing'), 'gzip').reader())).rejects.toThrow(/ENOENT/);
    await expect(readAll(encodeFile(path.join(dir, 'missing'), 'zstd').reader())).rejects.toThrow(/zstd exited/);
  });
});
