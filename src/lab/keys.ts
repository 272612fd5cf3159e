// ed25519 keys made with ssh-keygen: one host key per machine, one client key per run.
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Exec } from './exec.js';

/** Generates `<file>` and `<file>.pub`; returns the public key as "ssh-ed25519 AAAA..." (no comment). */
export async function generateEd25519(exec: Exec, file: string, comment: string): Promise<string> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await exec(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return publicKeyOf(await readFile(`${file}.pub`, 'utf8'));
}

/**
 * Writes a key pair the caller chose (CI: derived per run, docs/architecture.md "Keys across
 * jobs") as `<file>` (0600) and `<file>.pub`, like generateEd25519; returns the public key.
 */
export async function writeEd25519(file: string, key: { privateKey: string; publicKey: string }, comment: string): Promise<string> {
  const publicKey = publicKeyOf(key.publicKey);
  await rm(file, { force: true });
  await writeFile(file, key.privateKey, { mode: 0o600 });
  await writeFile(`${file}.pub`, `${publicKey} ${comment}\n`);
  return publicKey;
}

/** "ssh-ed25519 AAAA... comment\n" -> "ssh-ed25519 AAAA..." */
export function publicKeyOf(line: string): string {
  const [type, key] = line.trim().split(/\s+/);
  if (!type || !key) throw new Error(`not an OpenSSH public key: "${line.trim().slice(0, 40)}"`);
  return `${type} ${key}`;
}

/** known_hosts lines pinning each machine's host key at each of its addresses. */
export function renderKnownHosts(entries: { addresses: string[]; port: number; hostKey: string }[]): string {
  return entries
    .map((e) => `${e.addresses.map((a) => (e.port === 22 ? a : `[${a}]:${e.port}`)).join(',')} ${e.hostKey}`)
    .join('\n')
    .concat('\n');
}
