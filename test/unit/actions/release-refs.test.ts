// Our own actions and reusable workflows are referenced at one ref from one source of truth
// (package.json: repository + version major, scripts/release-refs.ts): every workflow, starter,
// README and architecture doc agrees, and a wrong ref, a missing action or a placeholder is named.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownUses, readIdentity, referencingFiles, refProblems, releaseIdentity, rewriteRefs } from '../../../scripts/release-refs.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'vt-refs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('references to our own actions', () => {
  it('package.json names the repository and the ref', () => {
    const id = readIdentity(ROOT);
    expect(id.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(id.ref).toBe(`v${id.version.split('.')[0]}`);
    expect(releaseIdentity({ version: '1.4.2', repository: { url: 'git+https://github.com/acme/vps-test.git' } })).toEqual({ repository: 'acme/vps-test', ref: 'v1', version: '1.4.2' });
    expect(() => releaseIdentity({ version: '1.0.0' })).toThrow(/does not name a GitHub repository/);
    expect(() => releaseIdentity({ version: 'one', repository: 'acme/x' })).toThrow(/not semver/);
  });

  it('every workflow, starter, README and doc uses them at that ref, and each one exists', () => {
    const files = referencingFiles(ROOT, (d) => readdirSync(d));
    expect(files).toEqual(expect.arrayContaining(['.github/workflows/soak.yml', 'workflows/pr-validation.yml', 'README.md']));
    const id = readIdentity(ROOT);
    expect(refProblems(ROOT, files, id)).toEqual([]);
    // the workflows do reference us (the check above is not vacuous)
    const soak = ownUses(readFileSync(join(ROOT, '.github/workflows/soak.yml'), 'utf8'), 'soak.yml', id.repository);
    expect(soak.map((u) => u.path)).toEqual(expect.arrayContaining(['actions/build', 'actions/soak', 'actions/teardown']));
  });

  it('names a wrong ref, an action that does not exist, and a placeholder repository, with file and line', () => {
    mkdirSync(join(tmp, 'actions', 'test'), { recursive: true });
    writeFileSync(join(tmp, 'actions', 'test', 'action.yml'), 'name: t\n');
    writeFileSync(join(tmp, 'wf.yml'), 'jobs:\n  a:\n    steps:\n      - uses: acme/vt/actions/test@v2\n      - uses: acme/vt/actions/nope@v1\n      - uses: org/vps-test@v1\n      - uses: acme/vt/actions/{test,gone}@v1\n');
    const problems = refProblems(tmp, ['wf.yml'], { repository: 'acme/vt', ref: 'v1', version: '1.0.0' });
    expect(problems).toEqual([
      'wf.yml:6: placeholder repository "org/vps-test" (package.json says acme/vt)',
      'wf.yml:4: acme/vt/actions/test@v2: ref v2, but package.json version 1.0.0 releases v1',
      'wf.yml:5: acme/vt/actions/nope@v1: actions/nope/action.yml does not exist in this repository',
      'wf.yml:7: acme/vt/actions/{test,gone}@v1: actions/gone/action.yml does not exist in this repository',
    ]);
  });

  it('a release moves every reference of ours to the new major, and nothing else', () => {
    const text = 'uses: acme/vt@v0\n  uses: acme/vt/actions/soak@v0 # and actions/checkout@v4\nsee `acme/vt/.github/workflows/soak.yml@v0`; not notacme/vt@v0\n';
    expect(rewriteRefs(text, 'acme/vt', 'v1')).toBe('uses: acme/vt@v1\n  uses: acme/vt/actions/soak@v1 # and actions/checkout@v4\nsee `acme/vt/.github/workflows/soak.yml@v1`; not notacme/vt@v0\n');
  });
});
