// Prepares a release (README, "Releasing"): `npx tsx scripts/release.ts X.Y.Z` sets package.json's
// version, moves every reference to our own actions and reusable workflows to v<X> (the single
// source of truth is package.json, see scripts/release-refs.ts), rebuilds dist/, checks the
// references, and prints the git commands that tag vX.Y.Z and move vX. Nothing is pushed.
//   npx tsx scripts/release.ts --check   only check the references (exit 1 naming each problem)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readIdentity, referencingFiles, refProblems, rewriteRefs } from './release-refs.js';

const ROOT = resolve(import.meta.dirname, '..');
const files = () => referencingFiles(ROOT, (d) => readdirSync(d));

function check(): number {
  const id = readIdentity(ROOT);
  const problems = refProblems(ROOT, files(), id);
  for (const p of problems) console.error(p);
  console.log(problems.length ? `${problems.length} problem(s)` : `every reference is ${id.repository}/...@${id.ref} (version ${id.version})`);
  return problems.length ? 1 : 0;
}

function release(version: string): number {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`release: "${version}" is not X.Y.Z`);
  if (execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, encoding: 'utf8' }).trim()) throw new Error('release: the work tree has changes; commit or stash them first');
  // package.json and package-lock.json together, no commit or tag (those are printed below)
  execFileSync('npm', ['version', version, '--no-git-tag-version', '--allow-same-version'], { cwd: ROOT, stdio: 'inherit' });
  const id = readIdentity(ROOT);
  for (const f of files()) {
    const p = resolve(ROOT, f);
    const text = readFileSync(p, 'utf8');
    const moved = rewriteRefs(text, id.repository, id.ref);
    if (moved !== text) writeFileSync(p, moved);
  }
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (check() !== 0) return 1;
  console.log(`\nnext, after the tests pass:\n  git commit -am "release v${version}"\n  git tag -a v${version} -m v${version}\n  git tag -f ${id.ref}\n  git push origin v${version}\n  git push -f origin ${id.ref}`);
  return 0;
}

const arg = process.argv[2];
try {
  process.exit(arg === '--check' || arg === undefined ? check() : release(arg));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
