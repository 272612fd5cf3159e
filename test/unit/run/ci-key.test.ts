import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';

// ssh2 ships no types; only its key parser is used here
const ssh2 = createRequire(import.meta.url)('ssh2') as { utils: { parseKey(k: string): { type: string } | Error } };
import { ClientKeyError, deriveClientKey, ensureClientKey, fingerprintOf, markDerivedKey } from '../../../src/run/ci-key.js';
import type { Fleet } from '../../../src/fleet/types.js';

const fleetAt = (clientKeyPath: string, runId = 'gh1234'): Fleet => ({ runId, provider: 'local', nodes: [], clientKeyPath });

const dir = mkdtempSync(join(tmpdir(), 'vt-cikey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'a repository secret of some length';

describe('the CI client key hook', () => {
  it('derives a key ssh-keygen accepts, whose public half is the one it reports', () => {
    const key = deriveClientKey(SECRET, 'gh1234');
    const file = join(dir, 'keys', 'k1');
    const fleet = { ...fleetAt(file), clientKeyFingerprint: fingerprintOf(key.publicKey) };
    expect(ensureClientKey(fleet, { VPS_TEST_SSH_SECRET: SECRET }).note).toMatch(/regenerated from VPS_TEST_SSH_SECRET/);
    expect(readFileSync(file, 'utf8')).toBe(key.privateKey);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
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

  it('the fingerprint is the one ssh-keygen -l prints', () => {
    const file = join(dir, 'keys', 'k1');
    const printed = execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprintOf(deriveClientKey(SECRET, 'gh1234').publicKey)).toBe(printed);
  });

  it('provisioning records the fingerprint only when the provider logs in with the derived key', () => {
    const key = deriveClientKey(SECRET, 'gh1234');
    const used = join(dir, 'keys', 'k1'); // holds the derived key (first test)
    expect(markDerivedKey(fleetAt(used), key).clientKeyFingerprint).toBe(fingerprintOf(key.publicKey));
    const own = join(dir, 'own');
    writeFileSync(own, deriveClientKey('the user key, not derived for the run', 'x').privateKey, { mode: 0o600 });
    expect(markDerivedKey(fleetAt(own), key).clientKeyFingerprint).toBeUndefined();
    expect(markDerivedKey(fleetAt(used), undefined).clientKeyFingerprint).toBeUndefined();
  });

  it('a missing derived key without the secret, or with a wrong one, is refused naming the key; nothing is written', () => {
    const key = deriveClientKey(SECRET, 'gh1234');
    const file = join(dir, 'missing', 'client');
    const fleet = { ...fleetAt(file), clientKeyFingerprint: fingerprintOf(key.publicKey) };
    expect(() => ensureClientKey(fleet, {})).toThrow(new RegExp(`client key of run gh1234 \\(${fingerprintOf(key.publicKey).replace(/[+/]/g, '.')}\\) is not here .*set VPS_TEST_SSH_SECRET`));
    let err: unknown;
    try {
      ensureClientKey(fleet, { VPS_TEST_SSH_SECRET: `${SECRET} but another` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClientKeyError);
    expect((err as Error).message).toMatch(/^VPS_TEST_SSH_SECRET does not give the client key of run gh1234: the fleet was provisioned with key SHA256:\S+ \(fleet.json\), this secret derives SHA256:\S+;/);
    expect(existsSync(file)).toBe(false);
    expect(() => deriveClientKey('short', 'r1')).toThrow(/VPS_TEST_SSH_SECRET is too short/);
  });

  it('an existing key is used as is; a provider key elsewhere comes from VPS_TEST_SSH_KEY, never derived', () => {
    const own = join(dir, 'own');
    expect(ensureClientKey(fleetAt(own), { VPS_TEST_SSH_SECRET: SECRET })).toEqual({ fleet: fleetAt(own) });
    const gone = { ...fleetAt(join(dir, 'home', '.ssh', 'id_ed25519')), provider: 'inventory' };
    expect(() => ensureClientKey(gone, { VPS_TEST_SSH_SECRET: SECRET })).toThrow(/client key of run gh1234 \(.*id_ed25519\) is not here: set VPS_TEST_SSH_KEY to the private key the hosts authorize/);
    expect(existsSync(gone.clientKeyPath)).toBe(false); // a user's key path is never filled with a derived key
    expect(ensureClientKey(gone, { VPS_TEST_SSH_KEY: own }).fleet.clientKeyPath).toBe(own);
    // a lab or droplet key made without the secret cannot be made again anywhere
    expect(() => ensureClientKey(fleetAt(join(dir, 'lab', 'keys', 'client')), { VPS_TEST_SSH_SECRET: SECRET })).toThrow(/is not here, and it was not derived from VPS_TEST_SSH_SECRET \(the run was provisioned without it\)/);
  });
});
