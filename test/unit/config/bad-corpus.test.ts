// Every bad config in test/fixtures/configs/bad/ fails with exactly the message and line:col
// recorded in expected.json (reviewed by hand: these are the words a user will see).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/errors.js';

const ROOT = 'test/fixtures/configs/bad';
const expected = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Record<string, string[]>;
const files = ['schema', 'semantic'].flatMap((dir) => readdirSync(join(ROOT, dir)).sort().map((f) => `${dir}/${f}`));

describe('bad config corpus', () => {
  it('has at least 30 bad configs, each with an expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expected).sort()).toEqual([...files].sort());
  });

  it.each(files)('%s is rejected with the recorded message', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    let error: unknown;
    try {
      parseConfig(text, file.split('/')[1] as string);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const got = (error as ConfigError).problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
    expect(got).toEqual(expected[file]);
    // The rendered message names the file, line and column.
    expect((error as ConfigError).message).toContain(`${file.split('/')[1]}:${got[0]?.split(' ')[0]}`);
  });
});
