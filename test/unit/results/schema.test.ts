import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/results/evaluate.js';
import { loadResultsJson, parseResultsJson, ResultsSchemaError } from '../../../src/results/load.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { aggregateOf, attempts, planOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-results-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sample = evaluate({
  plan: planOf([['a', 'none'], ['b', 'symmetric']], { direct: 99 }),
  aggregate: aggregateOf([...attempts('a', 'b', 'hole_punch', 10, 9), ...attempts('b', 'a', 'direct', 10, 10)]),
  generatedAt: '2025-06-01T12:00:00.000Z',
  runId: 'r1',
});

describe('results.json schema', () => {
  it('round-trips what evaluate produces (a results file is the next run\'s baseline)', () => {
    const text = renderResultsJson(sample);
    expect(parseResultsJson(text, 'results.json')).toEqual(JSON.parse(text));
  });

  it('rejects files of another schema, bad JSON and wrong field types with the file and field named', () => {
    expect(() => parseResultsJson('{"schema":"other@2"}', 'base.json')).toThrow('base.json: schema is "other@2", expected "vps-test/results@1" or "vps-test/results@1.1" (is this a vps-test results.json?)');
    expect(() => parseResultsJson('{oops', 'base.json')).toThrow(/^base\.json: not valid JSON/);
    const bad = JSON.parse(renderResultsJson(sample));
    bad.categories.direct.rate = 'high';
    bad.pairs[0].observed_path = 'teleport';
    let message = '';
    try {
      parseResultsJson(JSON.stringify(bad), 'base.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ResultsSchemaError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^base\.json: not a valid vps-test results file:/);
    expect(message).toContain('categories.direct.rate: Invalid input: expected number, received string');
    expect(message).toContain('pairs[0].observed_path:');
  });

  it('loads a baseline file, and names a missing one', async () => {
    const file = join(dir, 'results.json');
    writeFileSync(file, renderResultsJson(sample));
    expect((await loadResultsJson(file)).verdict).toBe(sample.verdict);
    await expect(loadResultsJson(join(dir, 'none.json'))).rejects.toThrow(`baseline file not found: ${join(dir, 'none.json')}`);
  });

  it('loads the committed lab baseline fixture', async () => {
    const base = await loadResultsJson(fileURLToPath(new URL('../../fixtures/results/lab-baseline.json', import.meta.url)));
    expect(base.categories.nat_traversed?.rate).toBe(98.61);
  });
});
