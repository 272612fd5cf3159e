import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertJournalEntry, renderJournalEntry } from '../../../src/report/journal.js';
import { renderJunit } from '../../../src/report/junit.js';
import { renderResultsJson } from '../../../src/report/json.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { renderProof } from '../../../src/report/proof.js';
import { expectGolden, FIXTURES } from './golden.js';
import { evidenceScenario, falseSuccessScenario, harnessScenario, labScenario, TIME } from './scenarios.js';

const ARTIFACTS = [
  { name: 'node logs', url: 'https://github.com/org/ant-quic/actions/runs/42/artifacts/1001' },
  { name: 'results.jsonl', url: 'https://github.com/org/ant-quic/actions/runs/42/artifacts/1002' },
];

describe('golden reports: lab (plan, baseline, failures, expected relays, missing category, malformed lines)', async () => {
  const { results, plan } = await labScenario();
  it('verdict is fail for the reasons the fixture was built with', () => {
    expect(results.verdict).toBe('fail');
    expect(results.malformed.count).toBe(3);
  });
  it('report.md', () => expectGolden('lab.report.md', renderMarkdown({ results, ...(plan && { plan }), artifacts: ARTIFACTS })));
  it('results.json', () => expectGolden('lab.results.json', renderResultsJson(results)));
  it('junit.xml', () => expectGolden('lab.junit.xml', renderJunit(results)));
  it('proof.md', () =>
    expectGolden('lab.proof.md', renderProof({ results, time: TIME, branch: 'feat/relay-v2', pr: 42, evidence: ['lab.jsonl', 'report/report.md', 'report/results.json', 'report/junit.xml'], fixCommits: ['3f2a9c1 relay: retry allocation'], ...(plan && { plan }) })));
  it('journal entry, and the journal with it inserted on top', () => {
    const entry = renderJournalEntry({ results, time: TIME, branch: 'feat/relay-v2', pr: 42 });
    expectGolden('lab.journal.md', entry);
    expectGolden('journal-inserted.md', insertJournalEntry(readFileSync(join(FIXTURES, 'JOURNAL.md'), 'utf8'), entry));
  });
});

describe('golden reports: harness (no plan, thresholds from flags, soak trend)', async () => {
  const { results } = await harnessScenario();
  it('verdict is pass', () => expect(results.verdict).toBe('pass'));
  it('report.md', () => expectGolden('harness.report.md', renderMarkdown({ results })));
  it('results.json', () => expectGolden('harness.results.json', renderResultsJson(results)));
  it('junit.xml', () => expectGolden('harness.junit.xml', renderJunit(results)));
  it('journal entry', () => expectGolden('harness.journal.md', renderJournalEntry({ results, time: TIME, branch: 'main', pr: null })));
});

describe('golden reports: false success', async () => {
  const { results } = await falseSuccessScenario();
  it('verdict is error', () => expect(results.verdict).toBe('error'));
  it('report.md', () => expectGolden('false-success.report.md', renderMarkdown({ results })));
  it('results.json', () => expectGolden('false-success.results.json', renderResultsJson(results)));
  it('junit.xml', () => expectGolden('false-success.junit.xml', renderJunit(results)));
});

describe('golden reports: path evidence (what the network saw, false claims)', async () => {
  const { results } = await evidenceScenario();
  it('report.md', () => expectGolden('evidence.report.md', renderMarkdown({ results })));
  it('results.json', () => expectGolden('evidence.results.json', renderResultsJson(results)));
});
