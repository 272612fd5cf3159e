// The first verified SSH connection to a booted VM, with the system ssh client: the host key
// must be the one we generated (StrictHostKeyChecking=yes against the lab's known_hosts), and
// cloud-init must have finished without error (docs/architecture.md, "VM machines").
import type { Exec } from '../lab/exec.js';

export interface GuestSsh {
  host: string;
  clientKeyPath: string;
  knownHostsPath: string;
}

export function sshArgv(g: GuestSsh, command: string): string[] {
  return [
    'ssh', '-n', '-i', g.clientKeyPath,
    '-o', `UserKnownHostsFile=${g.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR',
    `root@${g.host}`, command,
  ];
}

export interface CloudInitStatus {
  status: string;
  /** cloud-init's own error lines (status --long "errors:" and "detail:"), empty when it is done. */
  errors: string[];
}

/** `cloud-init status --long` output. Pure. */
export function parseCloudInitStatus(text: string): CloudInitStatus {
  const status = /^status:\s*(\S+)/m.exec(text)?.[1] ?? 'unknown';
  const errors: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^detail:/.test(line)) {
      const detail = [line.replace(/^detail:\s*/, ''), ...takeIndented(lines, i + 1)].join(' ').trim();
      if (status !== 'done' && detail) errors.push(detail);
    }
    if (/^errors:/.test(line)) errors.push(...takeIndented(lines, i + 1).map((l) => l.replace(/^-\s*/, '')));
    if (/^recoverable_errors:/.test(line)) errors.push(...takeIndented(lines, i + 1).filter((l) => /^-/.test(l) || /WARNING|ERROR/.test(l)).map((l) => l.replace(/^-\s*/, '')));
  }
  return { status, errors: [...new Set(errors.filter(Boolean))] };
}

function takeIndented(lines: string[], from: number): string[] {
  const out: string[] = [];
  for (let j = from; j < lines.length && /^\s+\S/.test(lines[j] as string); j++) out.push((lines[j] as string).trim());
  return out;
}

/**
 * Retries until key authentication works (sshd may answer before cloud-init installed the
 * client key), then waits for cloud-init. A host key mismatch is never retried.
 */
export async function waitForCloudInit(exec: Exec, g: GuestSsh, options: { deadline: number; aborted: () => boolean }): Promise<CloudInitStatus> {
  let last = '';
  for (;;) {
    if (options.aborted()) throw new Error('stopped waiting');
    const r = await exec(sshArgv(g, 'cloud-init status --wait --long >/tmp/vps-test-ci 2>&1; cat /tmp/vps-test-ci'), { allowFailure: true, timeoutMs: Math.max(10_000, options.deadline - Date.now()) });
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(r.stderr)) {
      throw new Error(`the VM at ${g.host} did not present the host key we generated: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
    if (r.code !== 255 && /^status:/m.test(r.stdout)) return parseCloudInitStatus(r.stdout);
    last = r.stderr.trim() || r.stdout.trim();
    if (Date.now() > options.deadline) throw new Error(`no verified SSH session with the VM at ${g.host}: ${last.split('\n').pop() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
