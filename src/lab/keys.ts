// ed25519 keys made with ssh-keygen: one host key per machine, one client key per run.
import { readFile, rm } from 'node:fs/promises';
import type { Exec } from './exec.js';

/** Generates `<file>` and `<file>.pub`; returns the public key as "ssh-ed25519 AAAA..." (no comment). */
export async function generateEd25519(exec: Exec, file: string, comment: string): Promise<string> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await exec(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return publicKeyOf(await readFile(`${file}.pub`, 'utf8'));
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
