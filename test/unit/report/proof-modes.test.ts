// The `proof` choice changes what the proof lists and says, and whether node logs are collected.
import { describe, expect, it } from 'vitest';
import { PROOFS, type Plan, type Proof } from '../../../src/plan/types.js';
import { renderProof } from '../../../src/report/proof.js';
import { proofCollectsLogs, proofEvidence, type RunFiles } from '../../../src/report/proof-modes.js';
import { evidenceScenario, labScenario, TIME } from './scenarios.js';

const FILES: RunFiles = { events: 'run/results.jsonl', logs: 'run/logs', metrics: 'run/metrics.json' };
const NO_METRICS: RunFiles = { ...FILES, metrics: null };

async function proofOf(mode: Proof, files: RunFiles): Promise<string> {
  const { results, plan } = await labScenario();
  const p = { ...(plan as Plan), choices: { ...(plan as Plan).choices, proof: mode } };
  const kept = proofEvidence(mode, files);
  return renderProof({ results, time: TIME, plan: p, evidence: [...kept.files, 'run/results.json'], evidenceNotes: kept.notes });
}

describe('proof modes', () => {
  it('logs: node logs and results.jsonl listed and collected; no metrics, no checklist', async () => {
    const text = await proofOf('logs', FILES);
    expect(proofCollectsLogs('logs')).toBe(true);
    expect(text).toContain('## Evidence (proof: logs)');
    expect(text).toContain('- `run/logs`');
    expect(text).toContain('- `run/results.jsonl`');
    expect(text).not.toContain('metrics.json');
    expect(text).not.toContain('## Verify by hand');
  });

  it('metrics: the scrapes and the results, no logs (and says so); without metrics: it says nothing was scraped', async () => {
    const text = await proofOf('metrics', FILES);
    expect(proofCollectsLogs('metrics')).toBe(false);
    expect(text).toContain('- `run/metrics.json`');
    expect(text).toContain('- `run/results.json`');
    expect(text).not.toContain('- `run/logs`');
    expect(text).toContain('- node logs were not collected (proof: metrics)');
    const none = await proofOf('metrics', NO_METRICS);
    expect(none).toContain('- no metrics were scraped: the config has no `metrics:` section');
  });

  it('manual-verify: a checklist of commands for every node and the pairs, no raw logs', async () => {
    const text = await proofOf('manual-verify', FILES);
    const { results } = await labScenario();
    expect(proofCollectsLogs('manual-verify')).toBe(false);
    expect(text).not.toContain('- `run/logs`');
    expect(text).not.toContain('- `run/results.jsonl`');
    expect(text).toContain('## Verify by hand');
    expect(text).toContain('`vps-test run CONFIG --focus full-suite --criteria threshold --proof manual-verify --keep --run-id verifyrun202506011200`');
    expect(text).toContain('its verdict should be FAIL');
    for (const n of results.nodes ?? []) expect(text).toContain(`\`vps-test diagnose ${n.name} --run verifyrun202506011200\``);
    const pairLines = text.split('\n').filter((l) => l.startsWith('- [ ] connectivity '));
    expect(pairLines).toHaveLength(Math.min(50, results.pairs.length));
    // worst first: the pair that never succeeded comes before one that always did
    expect(pairLines[0]).toMatch(/ 0\/\d+/);
  });

  it('manual-verify names what the network saw per pair when there is evidence', async () => {
    const { results } = await evidenceScenario();
    const text = renderProof({ results, time: TIME, evidence: [], mode: 'manual-verify' });
    expect(text).toContain('- [ ] connectivity public→sym: expected any path, observed failed, 0/3, network saw none 3');
  });

  it('all-evidence: everything, and the checklist', async () => {
    const text = await proofOf('all-evidence', FILES);
    expect(proofCollectsLogs('all-evidence')).toBe(true);
    for (const f of ['run/logs', 'run/results.jsonl', 'run/metrics.json']) expect(text).toContain(`- \`${f}\``);
    expect(text).toContain('## Verify by hand');
    expect(text).not.toContain('not collected');
  });

  it('every mode differs from every other', async () => {
    const texts = await Promise.all(PROOFS.map((m) => proofOf(m, FILES)));
    expect(new Set(texts).size).toBe(PROOFS.length);
  });
});
