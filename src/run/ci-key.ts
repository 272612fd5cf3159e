// The CI hook for the run's SSH client key (docs/architecture.md, "Keys across jobs"): with
// VPS_TEST_SSH_SECRET set (a repository secret), the run's ed25519 client key is derived from
// (secret, run id), so a later job of the same run regenerates the very same key instead of
// carrying it between jobs. No key material ever lands in the run's state or artifacts.
import { createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const SECRET_ENV = 'VPS_TEST_SSH_SECRET';

export interface DerivedKey {
  /** OpenSSH private key file contents (unencrypted, like ssh-keygen -N '') */
  privateKey: string;
  /** "ssh-ed25519 AAAA..." */
  publicKey: string;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Deterministic: the same secret and run id give the same key, on any machine. */
export function deriveClientKey(secret: string, runId: string): DerivedKey {
  if (secret.length < 16) throw new Error(`${SECRET_ENV} is too short to derive a key from (at least 16 characters)`);
  const seed = createHmac('sha256', secret).update(`vps-test client key v1\0${runId}`).digest();
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = createHmac('sha256', seed).update('checkint').digest().readUInt32BE(0);
  const comment = `vps-test-run-${runId}`;
  let priv = Buffer.concat([uint32(check), uint32(check), sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), uint32(1), sshString(pubBlob), sshString(priv)]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return { privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`, publicKey: `ssh-ed25519 ${pubBlob.toString('base64')}` };
}

/**
 * Writes the derived key to `path` (0600, in a 0700 folder) when it is missing there, e.g. in
 * a CI job that continues a run another job provisioned. Returns whether it wrote one.
 */
export function restoreClientKey(path: string, runId: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const secret = env[SECRET_ENV];
  if (!secret || existsSync(path)) return false;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  writeFileSync(path, deriveClientKey(secret, runId).privateKey, { mode: 0o600 });
  return true;
}
