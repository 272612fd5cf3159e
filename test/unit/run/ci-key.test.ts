import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';

// ssh2 ships no types; only its key parser is used here
const ssh2 = createRequire(import.meta.url)('ssh2') as { utils: { parseKey(k: string): { type: string } | Error } };
import { deriveClientKey, restoreClientKey } from '../../../src/run/ci-key.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-cikey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'a repository secret of some length';

describe('the CI client key hook', () => {
  it('derives a key ssh-keygen accepts, whose public half is the one it reports', () => {
    const key = deriveClientKey(SECRET, 'gh1234');
    const file = join(dir, 'k1');
    restoreClientKey(file, 'gh1234', { VPS_TEST_SSH_SECRET: SECRET });
    expect(readFileSync(file, 'utf8')).toBe(key.privateKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0); // mkdtemp: 0700
    const pub = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    expect(pub).toBe(key.publicKey);
    // and the SSH library the pool uses reads it
    const parsed = ssh2.utils.parseKey(key.privateKey);
    expect(parsed instanceof Error ? parsed.message : parsed.type).toBe('ssh-ed25519');
  });

  it('is deterministic per (secret, run id) and differs across runs and secrets', () => {
    expect(deriveClientKey(SECRET, 'r1').privateKey).toBe(deriveClientKey(SECRET, 'r1').privateKey);
    expect(deriveClientKey(SECRET, 'r1').publicKey).not.toBe(deriveClientKey(SECRET, 'r2').publicKey);
    expect(deriveClientKey(SECRET, 'r1').publicKey).not.toBe(deriveClientKey(`${SECRET}x`, 'r1').publicKey);
  });

  it('writes nothing without the secret or over an existing key, and refuses a short secret', () => {
    expect(restoreClientKey(join(dir, 'none'), 'r1', {})).toBe(false);
    const file = join(dir, 'k1');
    expect(restoreClientKey(file, 'other', { VPS_TEST_SSH_SECRET: SECRET })).toBe(false);
    expect(() => deriveClientKey('short', 'r1')).toThrow(/VPS_TEST_SSH_SECRET is too short/);
  });
});
