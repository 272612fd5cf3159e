import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/args.js';
import { reportCommand } from '../../../src/cli/commands/report.js';
import { captureConsoleLog, FIXTURES } from './golden.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const out = captureConsoleLog();

const fx = (name: string): string => join(FIXTURES, name);
const NOW = ['--now', '2025-06-01T12:00:00Z'];

describe('vps-test report', () => {
  it('renders every file from a harness run without a config; pass exits 0', async () => {
    const outDir = join(dir, 'harness');
    const code = await reportCommand(['--results', fx('harness.jsonl'), '--out', outDir, '--threshold', 'direct=99', '--threshold', 'nat_traversed=85%', '--branch', 'main', ...NOW]);
    expect(code).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(['journal.md', 'junit.xml', 'proof-20250601T120000Z.md', 'report.md', 'results.json']);
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
    expect(results).toMatchObject({ verdict: 'pass', criteria: { thresholds: { direct: 99, nat_traversed: 85 } } });
    expect(readFileSync(join(outDir, 'journal.md'), 'utf8')).toMatch(/^### 2025-06-01 12:00 - Finding: PASS/);
    expect(out[0]).toBe('vps-test report: PASS - all criteria met: 2 judged categories (direct, nat_traversed)');
    expect(out.some((l) => l.includes(join(outDir, 'report.md')))).toBe(true);
  });

  it('uses the config for NAT types and criteria, compares with a baseline, inserts into a journal; fail exits 1', async () => {
    const outDir = join(dir, 'lab');
    const journal = join(dir, 'JOURNAL.md');
    writeFileSync(journal, readFileSync(fx('JOURNAL.md')));
    const code = await reportCommand(['--results', fx('lab.jsonl'), '--config', fx('lab.vps-test.yml'), '--baseline', fx('lab-baseline.json'), '--out', outDir, '--journal', journal, '--pr', '42', '--branch', 'feat/x', '--artifact', 'logs=https://example.test/logs', ...NOW]);
    expect(code).toBe(1);
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
    expect(results.project).toBe('ant-quic');
    expect(results.categories.relay).toMatchObject({ attempts: 72, successes: 60, threshold: 100 });
    expect(results.pairs.find((p: { from: string; to: string }) => p.from === 'restricted' && p.to === 'symmetric')).toMatchObject({ expected_path: 'hole_punch', observed_path: 'relay' });
    expect(results.baseline.run_id).toBe('base-7f3a');
    expect(readFileSync(join(outDir, 'report.md'), 'utf8')).toContain('- [logs](https://example.test/logs)');
    const updated = readFileSync(journal, 'utf8');
    expect(updated.indexOf('**PR**: #42')).toBeLessThan(updated.indexOf('### 2025-05-30'));
    expect(updated.endsWith(readFileSync(fx('JOURNAL.md'), 'utf8').slice(readFileSync(fx('JOURNAL.md'), 'utf8').indexOf('### 2025-05-30')))).toBe(true);
  });

  it('exits 2 on a false success, and on a stage error', async () => {
    expect(await reportCommand(['--results', fx('false-success.jsonl'), '--out', join(dir, 'fs'), ...NOW])).toBe(2);
    expect(await reportCommand(['--results', fx('harness.jsonl'), '--out', join(dir, 'se'), '--stage-error', 'provision: quota exceeded', ...NOW])).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'se', 'results.json'), 'utf8')).reasons[0]).toBe('stage error: provision: quota exceeded');
  });

  it('rejects bad input with messages that say what is wrong', async () => {
    await expect(reportCommand(['--out', dir])).rejects.toThrow(new UsageError('report: --results FILE.jsonl is required (see vps-test report --help)'));
    await expect(reportCommand(['--results', 'x', '--threshold', 'direkt=99'])).rejects.toThrow(/--threshold direkt=99: categories are direct, nat_traversed, relay/);
    await expect(reportCommand(['--results', 'x', '--threshold', 'direct=120'])).rejects.toThrow('--threshold direct=120: expected a percentage from 0 to 100');
    await expect(reportCommand(['--results', 'x', '--now', 'yesterday'])).rejects.toThrow(/--now yesterday: expected an ISO time/);
    await expect(reportCommand(['--results', join(dir, 'missing.jsonl'), '--out', join(dir, 'm')])).rejects.toThrow(`results file not found: ${join(dir, 'missing.jsonl')}`);
    await expect(reportCommand(['--results', fx('harness.jsonl'), '--baseline', join(dir, 'nope.json'), '--out', join(dir, 'm')])).rejects.toThrow(`baseline file not found: ${join(dir, 'nope.json')}`);
    expect(existsSync(join(dir, 'm'))).toBe(false); // nothing written on bad input
  });

  it('reads events from stdin with --results -', () => {
    const outDir = join(dir, 'stdin');
    const entry = fileURLToPath(new URL('../../../src/cli/commands/report.ts', import.meta.url));
    const script = `const { reportCommand } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.exitCode = await reportCommand(${JSON.stringify(['--results', '-', '--out', outDir, '--threshold', 'direct=99', ...NOW])});`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { input: readFileSync(fx('harness.jsonl')), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')).categories.direct).toMatchObject({ attempts: 45, successes: 45 });
    expect(readFileSync(join(outDir, 'proof-20250601T120000Z.md'), 'utf8')).toContain('- `stdin`');
  });

  it('prints help', async () => {
    expect(await reportCommand(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: vps-test report --results FILE\.jsonl/);
  });
});
