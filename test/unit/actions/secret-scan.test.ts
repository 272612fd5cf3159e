// The secret scan the action tests rely on must find what it looks for.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { scanForSecrets, secretsIn } from '../../integration/actions/secret-scan.js';

it('finds a private key, GitHub and DigitalOcean tokens and given literals, in nested files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vt-scan-'));
  try {
    mkdirSync(join(dir, 'logs', 'n1'), { recursive: true });
    writeFileSync(join(dir, 'clean.md'), 'nothing to see\n');
    writeFileSync(join(dir, 'logs', 'n1', 'key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n');
    writeFileSync(join(dir, 'state.json'), '{"t":"ghs_abcdefghijklmnopqrstuvwxyz0123456789"}');
    writeFileSync(join(dir, 'do.txt'), `dop_v1_${'a'.repeat(64)}`);
    writeFileSync(join(dir, 'lit.txt'), 'hunter2-secret');
    expect(scanForSecrets(dir, ['hunter2-secret']).map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'do.txt: DigitalOcean token',
      'lit.txt: the literal secret hunt...',
      'logs/n1/key: private key',
      'state.json: GitHub token',
    ]);
    expect(secretsIn('ok', ['x-not-here'])).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
