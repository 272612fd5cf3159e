// Host-key pinning: the pinned OpenSSH public key is compared byte for byte with the key the
// server presents during the handshake. There is no accept-any path.
import { createHash } from 'node:crypto';

export interface PinnedKey {
  /** "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ... */
  type: string;
  /** The SSH wire-format key blob (what the server sends). */
  blob: Buffer;
}

/** "ssh-ed25519 AAAA... [comment]" -> type + blob; throws naming `where` on anything else. */
export function parsePublicKey(line: string, where: string): PinnedKey {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new Error(`${where}: host key is not an OpenSSH public key ("type base64"): "${line.trim().slice(0, 40)}"`);
  }
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with its own type as an SSH string; a mismatch means a corrupted pin.
  const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = len > 0 && 4 + len <= blob.length ? blob.subarray(4, 4 + len).toString('latin1') : '';
  if (inner !== type) throw new Error(`${where}: host key blob says "${inner || '?'}" but the key is labelled "${type}"`);
  return { type, blob };
}

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of sha256(blob). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Host-key algorithms to offer so the server presents the pinned key's type (otherwise a server
 * with several host keys could show another one and be refused although it is genuine).
 */
export function hostKeyAlgorithms(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

export class HostKeyMismatchError extends Error {
  override name = 'HostKeyMismatchError';
  constructor(
    readonly node: string,
    readonly address: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(
      `host key mismatch for node "${node}" at ${address}: expected ${expected}, received ${received}; ` +
        'refusing to connect (the machine was replaced, or someone is in the middle)',
    );
  }
}

/**
 * A verifier for ssh2's `hostVerifier` (called with the raw key blob). It records what it saw so
 * the caller can turn ssh2's generic "Host denied" into a HostKeyMismatchError.
 */
export function pinnedVerifier(pinned: PinnedKey): { verify: (key: Buffer) => boolean; received: () => Buffer | undefined } {
  let seen: Buffer | undefined;
  return {
    verify: (key: Buffer) => {
      seen = Buffer.from(key);
      return seen.equals(pinned.blob);
    },
    received: () => seen,
  };
}
