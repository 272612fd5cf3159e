import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint, HostKeyMismatchError, hostKeyAlgorithms, parsePublicKey, pinnedVerifier } from '../../../src/ssh/hostkey.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-hostkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keypair(type: string, name: string): { pub: string; sshKeygenFingerprint: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'test', '-f', file]);
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { pub: readFileSync(`${file}.pub`, 'utf8'), sshKeygenFingerprint: fp };
}

describe('host keys', () => {
  it('computes the same SHA256 fingerprint as ssh-keygen', () => {
    for (const type of ['ed25519', 'ecdsa', 'rsa']) {
      const k = keypair(type, `k-${type}`);
      expect(fingerprint(parsePublicKey(k.pub, 'test').blob)).toBe(k.sshKeygenFingerprint);
    }
  });

  it('rejects text that is not a public key, and labels that do not match the blob', () => {
    expect(() => parsePublicKey('garbage', 'node "a"')).toThrow(/node "a".*not an OpenSSH public key/);
    const k = keypair('ed25519', 'k-label');
    const b64 = k.pub.split(' ')[1]!;
    expect(() => parsePublicKey(`ssh-rsa ${b64}`, 'node "b"')).toThrow(/node "b".*blob says "ssh-ed25519"/);
  });

  it('verifier accepts only the pinned blob and remembers what it saw', () => {
    const a = parsePublicKey(keypair('ed25519', 'va').pub, 't');
    const b = parsePublicKey(keypair('ed25519', 'vb').pub, 't');
    const v = pinnedVerifier(a);
    expect(v.verify(b.blob)).toBe(false);
    expect(v.received()?.equals(b.blob)).toBe(true);
    expect(v.verify(a.blob)).toBe(true);
  });

  it('offers only the pinned key type (rsa with its sha2 signature names)', () => {
    expect(hostKeyAlgorithms('ssh-ed25519')).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithms('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });

  it('mismatch message names node, address and both fingerprints', () => {
    const e = new HostKeyMismatchError('n3', '10.0.0.3:22', 'SHA256:aaa', 'SHA256:bbb');
    expect(e.message).toContain('node "n3"');
    expect(e.message).toContain('10.0.0.3:22');
    expect(e.message).toContain('expected SHA256:aaa');
    expect(e.message).toContain('received SHA256:bbb');
  });
});
