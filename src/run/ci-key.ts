// The CI hook for the run's SSH client key (docs/architecture.md, "Keys across jobs"): with
// VPS_TEST_SSH_SECRET set (a repository secret), the run's ed25519 client key is derived from
// (secret, run id), so a later job of the same run regenerates the very same key instead of
// carrying it between jobs. No key material ever lands in the run's state or artifacts.
import { createHash, createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Fleet } from '../fleet/types.js';

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

/** The run's client key when VPS_TEST_SSH_SECRET is set; undefined otherwise (providers make their own). */
export function ciClientKey(runId: string, env: NodeJS.ProcessEnv = process.env): DerivedKey | undefined {
  const secret = env[SECRET_ENV];
  return secret ? deriveClientKey(secret, runId) : undefined;
}

/** "SHA256:<base64, unpadded>" of an OpenSSH public key, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The fleet as provisioning records it: with the derived key's fingerprint when the provider
 * really logs in with that key (its key file holds it), so a later job knows to regenerate it.
 * A provider with a key of its own (inventory: the user's key the hosts authorize) gets none.
 */
export function markDerivedKey(fleet: Fleet, key: DerivedKey | undefined): Fleet {
  if (!key || !existsSync(fleet.clientKeyPath) || readFileSync(fleet.clientKeyPath, 'utf8') !== key.privateKey) return fleet;
  return { ...fleet, clientKeyFingerprint: fingerprintOf(key.publicKey) };
}

export class ClientKeyError extends Error {
  override name = 'ClientKeyError';
}

/**
 * Makes sure the fleet's client key is here before a stage logs in (a CI job continuing a run
 * another job provisioned has no key file): a derived key is regenerated from the secret and
 * checked against the fingerprint provisioning recorded; a provider's own key (inventory) is
 * taken from VPS_TEST_SSH_KEY when it lives elsewhere on this machine. Returns the fleet to use
 * and what was done, or throws a ClientKeyError naming the key and what to set.
 */
export function ensureClientKey(fleet: Fleet, env: NodeJS.ProcessEnv = process.env): { fleet: Fleet; note?: string } {
  const path = fleet.clientKeyPath;
  if (existsSync(path)) return { fleet };
  const want = fleet.clientKeyFingerprint;
  if (!want) {
    const own = env.VPS_TEST_SSH_KEY;
    if (own && existsSync(own)) return { fleet: { ...fleet, clientKeyPath: own }, note: `client key ${path} is not on this machine: using VPS_TEST_SSH_KEY (${own})` };
    if (fleet.provider === 'inventory') throw new ClientKeyError(`the client key of run ${fleet.runId} (${path}) is not here: set VPS_TEST_SSH_KEY to the private key the hosts authorize`);
    throw new ClientKeyError(`the client key of run ${fleet.runId} (${path}) is not here, and it was not derived from ${SECRET_ENV} (the run was provisioned without it): continue on the machine that provisioned it, or provision with ${SECRET_ENV} set`);
  }
  const secret = env[SECRET_ENV];
  if (!secret) throw new ClientKeyError(`the client key of run ${fleet.runId} (${want}) is not here (${path}): it is derived from ${SECRET_ENV}; set ${SECRET_ENV} to the secret the run was provisioned with`);
  const key = deriveClientKey(secret, fleet.runId);
  const got = fingerprintOf(key.publicKey);
  if (got !== want) throw new ClientKeyError(`${SECRET_ENV} does not give the client key of run ${fleet.runId}: the fleet was provisioned with key ${want} (fleet.json), this secret derives ${got}; set the secret the run was provisioned with`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700);
  writeFileSync(path, key.privateKey, { mode: 0o600 });
  return { fleet, note: `client key ${want} regenerated from ${SECRET_ENV} at ${path}` };
}
