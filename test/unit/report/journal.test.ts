import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFinding, insertJournalEntry, JOURNAL_TITLE, renderJournalEntry } from '../../../src/report/journal.js';
import { FIXTURES } from './golden.js';
import { falseSuccessScenario, labScenario, TIME } from './scenarios.js';

describe('renderJournalEntry', () => {
  it('follows the docs/architecture.md ("Reports") format line by line', async () => {
    const { results } = await labScenario();
    const lines = renderJournalEntry({ results, time: TIME, branch: 'feat/x', pr: 42 }).split('\n');
    expect(lines[0]).toMatch(/^### \d{4}-\d{2}-\d{2} \d{2}:\d{2} - Finding: \S.*$/);
    expect(lines[0]?.startsWith('### 2025-06-01 12:00 - Finding: ')).toBe(true);
    expect(lines.slice(1, 5)).toEqual(['**Branch**: `feat/x`', '**Status**: FAIL', '**PR**: #42', '#### Key Findings:']);
    const heads = lines.filter((l) => l.startsWith('#'));
    expect(heads.slice(1)).toEqual(['#### Key Findings:', '#### Technical Details:', '#### Next Steps:']);
    for (const l of lines.slice(5).filter((x) => x && !x.startsWith('#### '))) expect(l).toMatch(/^- \S/);
    expect(lines.at(-1)).toBe('');
  });

  it('maps verdicts to the allowed statuses (error is a FAIL) and supports IN PROGRESS and no PR', async () => {
    const { results } = await falseSuccessScenario();
    expect(renderJournalEntry({ results, time: TIME, branch: 'b' })).toContain('**Status**: FAIL\n**PR**: none\n');
    expect(renderJournalEntry({ results, time: TIME, branch: 'b', pr: null, inProgress: true })).toContain('**Status**: IN PROGRESS\n');
  });

  it('describes verdict changes against the baseline', async () => {
    const { results } = await labScenario();
    expect(describeFinding(results)).toMatch(/^FAIL after PASS on the baseline - direct 98\.6% < 99% threshold/);
    const recovered = { ...results, verdict: 'pass' as const, baseline: { generated_at: 'x', verdict: 'fail' as const } };
    expect(describeFinding(recovered)).toBe('recovered: PASS after FAIL on the baseline');
    expect(describeFinding({ ...results, reasons: ['multi\nline'], baseline: undefined })).toBe('FAIL - multi line');
  });
});

describe('insertJournalEntry', () => {
  const entry = '### 2025-06-01 12:00 - Finding: new\n**Branch**: `b`\n**Status**: PASS\n**PR**: none\n#### Key Findings:\n- x\n#### Technical Details:\n- y\n#### Next Steps:\n- z\n';
  const existing = readFileSync(join(FIXTURES, 'JOURNAL.md'), 'utf8');

  it('puts the new entry on top, keeping the preamble and every older byte as is', () => {
    const out = insertJournalEntry(existing, entry);
    const firstOld = existing.indexOf('### 2025-05-30');
    expect(out.startsWith(existing.slice(0, firstOld))).toBe(true); // preamble (with its fenced ### line) untouched
    expect(out.endsWith(existing.slice(firstOld))).toBe(true); // older entries byte-identical, CRLF and trailing spaces included
    expect(Buffer.from(out).subarray(-Buffer.byteLength(existing.slice(firstOld))).equals(Buffer.from(existing.slice(firstOld)))).toBe(true);
    expect(out.slice(firstOld)).toBe(`${entry}\n${existing.slice(firstOld)}`);
  });

  it('keeps latest on top over several insertions', () => {
    const second = entry.replace('12:00 - Finding: new', '13:00 - Finding: newer');
    const out = insertJournalEntry(insertJournalEntry(existing, entry), second);
    expect(out.indexOf('Finding: newer')).toBeLessThan(out.indexOf('Finding: new\n'));
    expect(out.indexOf('Finding: new\n')).toBeLessThan(out.indexOf('### 2025-05-30'));
  });

  it('creates a titled journal when empty, and appends after a preamble without entries', () => {
    expect(insertJournalEntry('', entry)).toBe(`${JOURNAL_TITLE}\n\n${entry}`);
    expect(insertJournalEntry('  \n', entry)).toBe(`${JOURNAL_TITLE}\n\n${entry}`);
    expect(insertJournalEntry('# Notes\nintro', entry)).toBe(`# Notes\nintro\n\n${entry}`);
    expect(insertJournalEntry('# Notes\n', entry)).toBe(`# Notes\n\n${entry}`);
  });
});
