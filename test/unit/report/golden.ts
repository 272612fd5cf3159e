// Golden-file comparison: byte for byte. Regenerate with UPDATE_GOLDEN=1 (then review the diff).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, vi } from 'vitest';

export const GOLDEN_DIR = fileURLToPath(new URL('../../golden/', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));

export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    // CI must compare, never accept: a regenerated golden file would make every check pass
    if (process.env.CI === 'true') throw new Error('UPDATE_GOLDEN=1 is refused under CI=true: golden files change only in a reviewed commit');
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file missing: test/golden/${name} (create it with UPDATE_GOLDEN=1 npx vitest run test/unit/report)`);
  const expected = readFileSync(path);
  const got = Buffer.from(actual, 'utf8');
  if (!got.equals(expected)) expect(actual, `test/golden/${name} differs (UPDATE_GOLDEN=1 to accept)`).toBe(expected.toString('utf8'));
  expect(got.equals(expected)).toBe(true);
}

/** What console.log printed during each test of the calling suite (emptied before each test). */
export function captureConsoleLog(): string[] {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());
  return lines;
}
