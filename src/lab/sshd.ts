// One sshd per lab machine: key auth only, for the run's client key, pid and log in the lab.
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import type { Exec } from './exec.js';
import type { SshdPlan } from './topology.js';

/** sshd_config takes double-quoted arguments; paths in a user's checkout may hold spaces. */
function arg(value: string): string {
  if (/["\r\n]/.test(value)) throw new Error(`sshd cannot use the path ${JSON.stringify(value)}`);
  return /\s/.test(value) ? `"${value}"` : value;
}

/** sshd_config for one machine. Pure. `maxSessions` below 64 mimics a stock sshd (tests). */
export function renderSshdConfig(plan: SshdPlan, authorizedKeysPath: string, options: { maxSessions?: number; logLevel?: string } = {}): string {
  return [
    '# vps-test lab machine',
    `Port ${plan.port}`,
    ...plan.listen.map((addr) => `ListenAddress ${addr}`),
    `HostKey ${arg(plan.hostKeyPath)}`,
    `PidFile ${arg(plan.pidPath)}`,
    `AuthorizedKeysFile ${arg(authorizedKeysPath)}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // the lab's files live in the user's checkout, whose permissions sshd should not judge
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'X11Forwarding no',
    'AllowTcpForwarding yes',
    // every later stage keeps one connection per node with many channels
    `MaxSessions ${options.maxSessions ?? 64}`,
    'MaxStartups 64:30:128',
    'Subsystem sftp internal-sftp',
    // Lab machines share the controller's home: its ~/.bashrc (pyenv, nvm...) must not run on
    // every command. bash skips .bashrc under sshd when SHLVL is already set.
    'SetEnv SHLVL=1',
    `LogLevel ${options.logLevel ?? 'INFO'}`,
    '',
  ].join('\n');
}

/** Starts the daemon inside `namespace` (sshd forks into the background and writes its pid file). */
export async function startSshd(exec: Exec, sshdPath: string, namespace: string, configPath: string, logPath: string): Promise<void> {
  await exec(['ip', 'netns', 'exec', namespace, sshdPath, '-f', configPath, '-E', logPath]);
}

function readBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('SSH-2.0-')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(data.includes('SSH-2.0-')));
  });
}

/** Waits until `host:port` greets with an SSH banner; throws naming the machine and its sshd log. */
export async function waitForSsh(
  host: string,
  port: number,
  options: { timeoutMs: number; what: string; logPath?: string; aborted?: () => boolean },
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (options.aborted?.()) throw new Error(`stopped waiting for ${options.what}`);
    if (await readBanner(host, port, 1000)) return Date.now() - started;
    if (Date.now() - started > options.timeoutMs) {
      const log = options.logPath ? await readFile(options.logPath, 'utf8').catch(() => '') : '';
      const tail = log.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${options.what}: sshd at ${host}:${port} did not answer within ${options.timeoutMs} ms${tail ? ` (sshd log: ${tail})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
