// Can this machine host a lab? Root (or the capabilities namespaces need) and the commands the
// lab runs. Missing commands are installed with apt-get when we can, else named precisely.
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemExec, type Exec } from './exec.js';

export interface RequiredCommand {
  command: string;
  /** Debian/Ubuntu package that provides it. */
  debianPackage: string;
}

export const LAB_COMMANDS: readonly RequiredCommand[] = [
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'tc', debianPackage: 'iproute2' },
  { command: 'nft', debianPackage: 'nftables' },
  { command: 'sshd', debianPackage: 'openssh-server' },
  { command: 'ssh-keygen', debianPackage: 'openssh-client' },
  { command: 'conntrack', debianPackage: 'conntrack' },
];

/** Only the test suite needs these (an independent NAT classifier; the internet delayer's queue rule). */
export const TEST_COMMANDS: readonly RequiredCommand[] = [
  { command: 'turnserver', debianPackage: 'coturn' },
  { command: 'turnutils_natdiscovery', debianPackage: 'coturn' },
  { command: 'iptables-nft', debianPackage: 'iptables' },
];

export interface PreflightOptions {
  exec?: Exec;
  /** Also require the test tools (coturn). */
  forTests?: boolean;
  /** Install missing packages with apt-get when root and apt-get exists (default true). */
  install?: boolean;
  onProgress?: (line: string) => void;
  /** Injected for tests. */
  resolve?: (command: string) => Promise<string | undefined>;
  privileged?: () => Promise<{ root: boolean; netAdmin: boolean; sysAdmin: boolean }>;
}

export interface PreflightResult {
  ok: boolean;
  root: boolean;
  /** Absolute path of every command found. */
  paths: Record<string, string>;
  missing: RequiredCommand[];
  installed: string[];
  problems: string[];
}

export class PreflightError extends Error {
  override name = 'PreflightError';
}

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** `which`, also looking in the sbin directories a non-login PATH often lacks. */
export async function resolveCommand(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** CapEff bits from /proc/self/status text. CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21. */
export function effectiveCapabilities(statusText: string): { netAdmin: boolean; sysAdmin: boolean } {
  const hex = /^CapEff:\s*([0-9a-f]+)/im.exec(statusText)?.[1];
  const caps = hex ? BigInt(`0x${hex}`) : 0n;
  return { netAdmin: (caps & (1n << 12n)) !== 0n, sysAdmin: (caps & (1n << 21n)) !== 0n };
}

async function systemPrivileges(): Promise<{ root: boolean; netAdmin: boolean; sysAdmin: boolean }> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  return { root: process.getuid?.() === 0, ...effectiveCapabilities(status) };
}

function packagesOf(commands: RequiredCommand[]): string[] {
  return [...new Set(commands.map((c) => c.debianPackage))];
}

export async function preflight(options: PreflightOptions = {}): Promise<PreflightResult> {
  const exec = options.exec ?? systemExec;
  const resolve = options.resolve ?? resolveCommand;
  const wanted = [...LAB_COMMANDS, ...(options.forTests ? TEST_COMMANDS : [])];
  const priv = await (options.privileged ?? systemPrivileges)();
  const problems: string[] = [];
  if (!priv.root && !(priv.netAdmin && priv.sysAdmin)) {
    problems.push('the lab needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces: run it with sudo');
  }

  const find = async () => {
    const paths: Record<string, string> = {};
    const missing: RequiredCommand[] = [];
    for (const req of wanted) {
      const found = await resolve(req.command);
      if (found) paths[req.command] = found;
      else missing.push(req);
    }
    return { paths, missing };
  };
  let { paths, missing } = await find();
  const installed: string[] = [];

  if (missing.length > 0 && priv.root && options.install !== false && (await resolve('apt-get'))) {
    const packages = packagesOf(missing);
    options.onProgress?.(`installing ${packages.join(' ')} with apt-get`);
    await exec(['apt-get', 'update', '-q'], { allowFailure: true, timeoutMs: 300_000 });
    const result = await exec(
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages],
      { allowFailure: true, timeoutMs: 600_000 },
    );
    if (result.code === 0) installed.push(...packages);
    else problems.push(`apt-get install ${packages.join(' ')} failed: ${result.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    ({ paths, missing } = await find());
  }
  if (missing.length > 0) {
    const names = missing.map((m) => `${m.command} (${m.debianPackage})`).join(', ');
    problems.push(`missing commands: ${names}; install them with: sudo apt-get install -y ${packagesOf(missing).join(' ')}`);
  }
  return { ok: problems.length === 0, root: priv.root, paths, missing, installed, problems };
}

/** Throws one PreflightError listing every problem. */
export function assertPreflight(result: PreflightResult): void {
  if (!result.ok) throw new PreflightError(`this machine cannot host a lab:\n  - ${result.problems.join('\n  - ')}`);
}
