// The NoCloud seed of a VM machine (docs/architecture.md, "VM machines"): real cloud-init reads
// it from a CD labelled `cidata`. user-data installs the host key WE generated (so the first
// SSH connection is verified), the run's client key for root, the working directory and the
// node's impairment (the guest's own netem); network-config v2 gives the NIC the node's lab
// address. Rendering is pure; writeSeed makes the ISO with xorriso.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Impairment } from '../config/model.js';
import type { Exec } from '../lab/exec.js';

export interface GuestNetwork {
  mac: string;
  /** address/prefix, e.g. 198.18.3.10/24 */
  address: string;
  gateway: string;
}

export interface SeedSpec {
  instanceId: string;
  hostname: string;
  /** Ours (lab VMs); absent when the extra user-data installs its own (DigitalOcean's does). */
  hostKey?: { private: string; public: string };
  clientKeys: string[];
  /** Created by cloud-init (lab VMs); absent when the extra user-data makes its own. */
  workdir?: string;
  network: GuestNetwork;
  impair?: Impairment;
  /** Extra user-data (DigitalOcean's user_data): handed to cloud-init as a second part, as is. */
  userData?: string;
}

/** YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (s: string) => JSON.stringify(s);

/** `tc` arguments for the guest's netem, or undefined when the node is not impaired. */
export function netemArgv(impair: Impairment | undefined, dev = 'eth0'): string[] | undefined {
  if (!impair || !(impair.delayMs || impair.jitterMs || impair.lossPercent || impair.rateKbit)) return undefined;
  const argv = ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem'];
  if (impair.delayMs || impair.jitterMs) argv.push('delay', `${impair.delayMs ?? 0}ms`, ...(impair.jitterMs ? [`${impair.jitterMs}ms`] : []));
  if (impair.lossPercent) argv.push('loss', `${impair.lossPercent}%`);
  if (impair.rateKbit) argv.push('rate', `${impair.rateKbit}kbit`);
  return argv;
}

export function renderUserData(s: SeedSpec): string {
  const netem = netemArgv(s.impair);
  const runcmd = [...(s.workdir ? [['mkdir', '-p', '-m', '0700', s.workdir]] : []), ...(netem ? [netem] : [])];
  const hostKey = s.hostKey
    ? ['ssh_deletekeys: true', 'ssh_genkeytypes: []', 'ssh_keys:', '  ed25519_private: |', ...s.hostKey.private.trim().split('\n').map((l) => `    ${l}`), `  ed25519_public: ${q(s.hostKey.public)}`]
    : [];
  return [
    '#cloud-config',
    `hostname: ${q(s.hostname)}`,
    // no default user: root gets the client key (cc_ssh applies it to root when disable_root is false)
    'users: []',
    'disable_root: false',
    'ssh_pwauth: false',
    ...hostKey,
    'ssh_authorized_keys:',
    ...s.clientKeys.map((k) => `  - ${q(k)}`),
    ...(runcmd.length > 0 ? ['runcmd:', ...runcmd.map((argv) => `  - [${argv.map(q).join(', ')}]`)] : []),
    '',
  ].join('\n');
}

export function renderMetaData(s: SeedSpec): string {
  return `instance-id: ${q(s.instanceId)}\nlocal-hostname: ${q(s.hostname)}\n`;
}

export function renderNetworkConfig(n: GuestNetwork): string {
  return [
    'version: 2',
    'ethernets:',
    '  eth0:',
    `    match: { macaddress: ${q(n.mac)} }`,
    '    set-name: eth0',
    `    addresses: [${q(n.address)}]`,
    `    gateway4: ${q(n.gateway)}`,
    '',
  ].join('\n');
}

/**
 * user-data with a second part (e.g. DigitalOcean's user_data) becomes a MIME multipart
 * archive, which cloud-init merges: ours first (keys, network), then theirs.
 */
export function renderMultipart(ours: string, theirs: string, boundary = 'vps-test-seed-boundary'): string {
  const type = theirs.startsWith('#!') ? 'text/x-shellscript' : 'text/cloud-config';
  return [
    'Content-Type: multipart/mixed; boundary="' + boundary + '"',
    'MIME-Version: 1.0',
    '',
    `--${boundary}`,
    'Content-Type: text/cloud-config; charset="utf-8"',
    '',
    ours,
    `--${boundary}`,
    `Content-Type: ${type}; charset="utf-8"`,
    '',
    theirs,
    `--${boundary}--`,
    '',
  ].join('\n');
}

/** Writes user-data, meta-data, network-config and the `cidata` ISO into dir; returns the ISO's path. */
export async function writeSeed(exec: Exec, dir: string, s: SeedSpec): Promise<string> {
  const files = path.join(dir, 'seed');
  await mkdir(files, { recursive: true, mode: 0o700 });
  const userData = s.userData !== undefined ? renderMultipart(renderUserData(s), s.userData) : renderUserData(s);
  await writeFile(path.join(files, 'user-data'), userData, { mode: 0o600 });
  await writeFile(path.join(files, 'meta-data'), renderMetaData(s));
  await writeFile(path.join(files, 'network-config'), renderNetworkConfig(s.network));
  const iso = path.join(dir, 'seed.iso');
  await exec(['xorriso', '-as', 'genisoimage', '-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', files]);
  return iso;
}
