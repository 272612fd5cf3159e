// What the fake's droplets do with user_data: the parts of cloud-init vps-test uses, applied as
// cloud-init applies them (host keys, files, run commands, then sshd), as one boot script that
// runs inside the droplet's private mount namespace. Anything else in user_data is refused,
// so a key we start sending cannot be silently ignored here.
import { parse } from 'yaml';
import { renderStep } from '../../../src/lab/recipes/steps.js';

export interface CloudConfig {
  hostKey?: { privateKey: string; publicKey: string };
  files: { path: string; content: string; permissions: string }[];
  runcmd: string[];
  /** Commands the packages asked for must exist on the host (the fake droplets share its binaries). */
  packageCommands: string[];
}

const SUPPORTED = new Set(['ssh_deletekeys', 'ssh_genkeytypes', 'ssh_keys', 'write_files', 'runcmd', 'packages']);
/** The packages the fake's image "has": each one's command, checked on this machine at boot. */
export const PACKAGE_COMMANDS: Record<string, string> = { nftables: 'nft', conntrack: 'conntrack' };
/** Directories a droplet may write: each is a tmpfs private to the droplet. */
export const PRIVATE_DIRS = ['/etc/ssh', '/root', '/run/netns'];

export function parseCloudConfig(userData: string | undefined): CloudConfig {
  if (!userData) return { files: [], runcmd: [], packageCommands: [] };
  if (!userData.startsWith('#cloud-config\n')) throw new Error('fake droplet: user_data is not #cloud-config (the only form vps-test sends)');
  const doc = (parse(userData) ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(doc).filter((k) => !SUPPORTED.has(k));
  if (unknown.length) throw new Error(`fake droplet: cloud-config keys not supported by the fake: ${unknown.join(', ')}`);
  const keys = doc.ssh_keys as Record<string, string> | undefined;
  const files = ((doc.write_files as { path: string; content: string; permissions?: string }[] | undefined) ?? []).map((f) => {
    if (!PRIVATE_DIRS.some((d) => f.path.startsWith(`${d}/`))) throw new Error(`fake droplet: write_files path ${f.path} is outside ${PRIVATE_DIRS.join(', ')}`);
    return { path: f.path, content: f.content, permissions: f.permissions ?? '0644' };
  });
  const packages = (doc.packages as unknown[] | undefined) ?? [];
  const packageCommands = packages.map((p) => {
    const command = typeof p === 'string' ? PACKAGE_COMMANDS[p] : undefined;
    if (!command) throw new Error(`fake droplet: package ${JSON.stringify(p)} is not one the fake knows (${Object.keys(PACKAGE_COMMANDS).join(', ')})`);
    return command;
  });
  const runcmd = ((doc.runcmd as (string | string[])[] | undefined) ?? []).map((c) => (Array.isArray(c) ? renderStep({ argv: c.map(String) }) : c));
  return {
    ...(keys?.ed25519_private && keys.ed25519_public ? { hostKey: { privateKey: keys.ed25519_private, publicKey: keys.ed25519_public } } : {}),
    files,
    runcmd,
    packageCommands,
  };
}

function heredoc(path: string, content: string, mode: string): string[] {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  if (body.split('\n').includes('VT_BOOT_EOF')) throw new Error('fake droplet: file content contains the heredoc terminator');
  return [`mkdir -p "$(dirname ${renderStep({ argv: [path] })})"`, `cat > ${renderStep({ argv: [path] })} <<'VT_BOOT_EOF'`, `${body}VT_BOOT_EOF`, `chmod ${mode} ${renderStep({ argv: [path] })}`];
}

/** The droplet's boot: private /etc/ssh, /root and /run/netns, cloud-config, then sshd (or nothing). */
export function renderBootScript(o: { hostname: string; config: CloudConfig; authorizedKeys: string[]; sshdConfig: string; sshdPath: string; reachable: boolean }): string {
  return [
    '#!/bin/sh',
    'set -eu',
    // DigitalOcean names the machine after the droplet (a UTS namespace of its own here)
    `hostname ${renderStep({ argv: [o.hostname] })}`,
    ...PRIVATE_DIRS.map((d) => `mkdir -p ${d} && mount -t tmpfs -o mode=0755 vt-droplet ${d}`),
    'mkdir -p /run/sshd /root/.ssh',
    ...heredoc('/root/.ssh/authorized_keys', o.authorizedKeys.join('\n'), '0600'),
    ...(o.config.hostKey
      ? [...heredoc('/etc/ssh/ssh_host_ed25519_key', o.config.hostKey.privateKey, '0600'), ...heredoc('/etc/ssh/ssh_host_ed25519_key.pub', o.config.hostKey.publicKey, '0644')]
      : ['ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key']),
    // cloud-init installs packages before runcmd: the fake's image must already have their commands
    ...o.config.packageCommands.map((c) => `command -v ${renderStep({ argv: [c] })} >/dev/null || { echo "fake droplet: package command ${c} missing on this machine" >&2; exit 1; }`),
    ...o.config.files.flatMap((f) => heredoc(f.path, f.content, f.permissions)),
    ...o.config.runcmd,
    ...heredoc('/etc/ssh/sshd_config', o.sshdConfig, '0644'),
    // a never-reachable droplet: up and running, but nothing answers SSH
    o.reachable ? `exec ${o.sshdPath} -D -e -f /etc/ssh/sshd_config` : 'exec sleep 2147483647',
    '',
  ].join('\n');
}
