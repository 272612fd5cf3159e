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

/** `cloud-init status --long` output (22.4: `detail:` then unindented lines; 23+: `errors:` lists). Pure. */
export function parseCloudInitStatus(text: string): CloudInitStatus {
  const status = /^status:\s*(\S+)/m.exec(text)?.[1] ?? 'unknown';
  const errors: string[] = [];
  const lines = text.split('\n');
  const isKey = (l: string) => /^[a-z_]+:(\s|$)/.test(l);
  const valuesAfter = (i: number) => {
    const out: string[] = [];
    for (let j = i + 1; j < lines.length && !isKey(lines[j] as string); j++) if ((lines[j] as string).trim()) out.push((lines[j] as string).trim().replace(/^-\s*/, ''));
    return out;
  };
  lines.forEach((line, i) => {
    const inline = line.replace(/^[a-z_]+:\s*/, '').trim();
    if (/^detail:/.test(line) && status !== 'done') errors.push(...[inline, ...valuesAfter(i)].filter((x) => x && x !== '[]'));
    if (/^errors:/.test(line)) errors.push(...[inline, ...valuesAfter(i)].filter((x) => x && x !== '[]'));
  });
  return { status, errors: [...new Set(errors)] };
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
