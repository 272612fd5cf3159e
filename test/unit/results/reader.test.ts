import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readEvents, ResultsReadError, type ReadItem } from '../../../src/results/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-results-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const attempt = (from: string, to: string): string => JSON.stringify({ v: 1, type: 'attempt', suite: 's', from, to, path: 'direct', ok: true });

describe('readEvents', () => {
  it('reads a file: events and malformed lines with line numbers; blank lines ignored; CRLF and no final newline', async () => {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, [attempt('a', 'b'), '', 'garbage', '   ', `${attempt('b', 'a')}\r`, '{"v":1,"type":"metric"}', attempt('a', 'c')].join('\n'));
    const items = await collect(readEvents(file));
    expect(items.map((i) => (i.ok ? `ok:${i.line}` : `bad:${i.malformed.line}`))).toEqual(['ok:1', 'bad:3', 'ok:5', 'bad:6', 'ok:7']);
    const bad = items.filter((i) => !i.ok);
    expect(bad[0]).toEqual({ ok: false, malformed: { source: file, line: 3, reason: expect.stringMatching(/^not JSON/) } });
    expect(bad[1]?.ok === false && bad[1].malformed.reason).toBe('metric.node is missing, expected a non-empty string');
  });

  it('reads any Readable, names it, and keeps lines and multi-byte characters whole across chunk boundaries', async () => {
    const text = `${attempt('nœud-α', 'b')}\n${attempt('b', 'nœud-α')}\n`;
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7)); // splits UTF-8 sequences
    const items = await collect(readEvents(Readable.from(chunks), { source: 'agent@a stdout' }));
    expect(items).toHaveLength(2);
    expect(items.every((i) => i.ok)).toBe(true);
    expect(items[0]?.ok && items[0].event.type === 'attempt' && items[0].event.from).toBe('nœud-α');
    expect(items[0]?.ok && items[0].source).toBe('agent@a stdout');
  });

  it('reports an over-long line as malformed without holding it, then carries on', async () => {
    const huge = 'x'.repeat(5000);
    const stream = Readable.from([huge.slice(0, 2000), huge.slice(2000), `\n${attempt('a', 'b')}\n`]);
    const items = await collect(readEvents(stream, { maxLineLength: 1000 }));
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({ ok: false, malformed: { source: 'stream', line: 1, reason: 'line longer than 1000 characters' } });
    expect(items[1]?.ok).toBe(true);
  });

  it('streams: the first event arrives before the producer has finished', async () => {
    let produced = 0;
    async function* slow(): AsyncGenerator<string> {
      for (let i = 0; i < 5; i++) {
        produced++;
        yield `${attempt('a', 'b')}\n`;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const iterator = readEvents(Readable.from(slow()))[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.ok).toBe(true);
    expect(produced).toBeLessThan(5);
    while (!(await iterator.next()).done);
    expect(produced).toBe(5);
  });

  it("reads a child process's stdout as it runs", async () => {
    const script = `for (let i = 0; i < 3; i++) console.log(JSON.stringify({ v: 1, type: 'metric', node: 'n' + i, name: 'peers', value: i })); console.log('done');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const items = await collect(readEvents(child.stdout, { source: 'child stdout' }));
    expect(items.map((i) => (i.ok ? i.event.type : i.malformed.reason))).toEqual(['metric', 'metric', 'metric', expect.stringMatching(/^not JSON/)]);
    expect(items[3]?.ok === false && items[3].malformed).toMatchObject({ source: 'child stdout', line: 4 });
  });

  it('names the file when it does not exist', async () => {
    const missing = join(dir, 'nope.jsonl');
    await expect(collect(readEvents(missing))).rejects.toThrow(new ResultsReadError(`results file not found: ${missing}`));
  });
});
