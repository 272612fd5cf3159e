import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../../src/files/jsonl.js';

describe('readJsonLines', () => {
  it('reads records, skips blank lines, a missing file is none, a bad line is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vt-jsonl-'));
    try {
      const file = join(dir, 'x.jsonl');
      expect(await readJsonLines(file, (v) => v)).toEqual([]);
      writeFileSync(file, '{"a":1}\n\n{"a":2}\n');
      expect(await readJsonLines(file, (v) => (v as { a: number }).a)).toEqual([1, 2]);
      writeFileSync(file, '{"a":1}\nnope\n');
      await expect(readJsonLines(file, (v) => v)).rejects.toThrow(`${file}:2: not JSON`);
      await expect(readJsonLines(file, (_v, where) => { throw new Error(`${where}: refused`); })).rejects.toThrow(`${file}:1: refused`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
