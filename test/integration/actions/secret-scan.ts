// Scans every file under a folder for things that must never be written by a run: GitHub tokens,
// DigitalOcean tokens, private keys, and any literal secret the test passed in.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PATTERNS: [string, RegExp][] = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
  ['GitHub fine-grained token', /\bgithub_pat_[A-Za-z0-9_]{40,}\b/],
  ['DigitalOcean token', /\bdop_v1_[a-f0-9]{64}\b/],
];

/** What secret-looking things a text holds (pattern names, or a literal's first characters). */
export function secretsIn(text: string, literals: readonly string[] = []): string[] {
  const found = PATTERNS.filter(([, re]) => re.test(text)).map(([what]) => what);
  for (const l of literals) if (l && text.includes(l)) found.push(`the literal secret ${l.slice(0, 4)}...`);
  return found;
}

export function scanForSecrets(root: string, literals: readonly string[] = []): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        for (const what of secretsIn(readFileSync(p).toString('latin1'), literals)) found.push(`${p}: ${what}`);
      }
    }
  };
  walk(root);
  return found;
}
