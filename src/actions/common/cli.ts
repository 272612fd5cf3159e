// The one place the actions meet the vps-test CLI (docs/architecture.md "Actions re-execute the
// CLI"): the action never imports the pipeline; it runs `node dist/cli.js` as a child process,
// under `sudo -E` when the runner is not root (GitHub-hosted runners run as `runner` with
// passwordless sudo). The run's outputs are read back from .vps-test/runs/<run-id>/.
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from './inputs.js';

/** dist/actions/<name>.js -> dist/cli.js; VPS_TEST_CLI overrides (tests of the source tree). */
export function cliPath(): string {
  if (process.env.VPS_TEST_CLI) return process.env.VPS_TEST_CLI;
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
}

/** The package root (holds scripts/install-system-deps.sh and examples/). */
export function packageRoot(): string {
  return resolve(dirname(cliPath()), '..');
}

export interface Privilege {
  /** 'root': run as is; 'sudo': prefix `sudo -E -n`; 'none': the lab cannot run */
  mode: 'root' | 'sudo' | 'none';
  detail?: string;
}

export async function detectPrivilege(): Promise<Privilege> {
  if (process.getuid?.() === 0) return { mode: 'root' };
  return new Promise((res) => {
    execFile('sudo', ['-n', 'true'], { timeout: 20_000 }, (err, _out, stderr) => {
      if (!err) return res({ mode: 'sudo' });
      res({ mode: 'none', detail: `${(stderr || err.message).trim()}` });
    });
  });
}

export function noPrivilegeMessage(p: Privilege): string {
  return `vps-test's local lab needs root (network namespaces, nftables, sshd): this runner is user ${process.env.USER ?? process.getuid?.()} without passwordless sudo (\`sudo -n true\`: ${p.detail ?? 'failed'}). GitHub-hosted Ubuntu runners have it; on a self-hosted runner allow the runner user passwordless sudo, or run the job as root.`;
}

/** Variables a child must never see: the runner's job tokens and this action's secret inputs. */
const SECRET_ENV = /^(INPUT_.*TOKEN.*|ACTIONS_RUNTIME_TOKEN|ACTIONS_ID_TOKEN_REQUEST_TOKEN|ACTIONS_ID_TOKEN_REQUEST_URL|GITHUB_TOKEN|GH_TOKEN)$/i;

export function childEnv(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!SECRET_ENV.test(k)) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') env[k] = v;
  env.CI = 'true';
  return env;
}

/** The argv to start, elevated as `p` says: [command, ...args]. */
export function elevated(p: Privilege, argv: readonly string[]): string[] {
  // sudo resets PATH to its secure_path; the zig (and tools) this job put on PATH must stay visible.
  return p.mode === 'sudo' ? ['sudo', '-E', '-n', 'env', `PATH=${process.env.PATH ?? ''}`, ...argv] : [...argv];
}

/** Short ids like the CLI's own: they prefix namespace names (vt<id>-...), so 5 characters, a letter first. */
export function newActionRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(5)].map((b, i) => (i === 0 ? alphabet[b % 26] : alphabet[b % 36])).join('');
}

export interface RunRequest {
  config?: string;
  runId: string;
  stages?: readonly string[];
  run?: string;
  /** `--soak-until`: the soak checkpoint to run up to, or `next` */
  soakUntil?: string;
  keep?: boolean;
  baseline?: string;
  branch?: string;
  pr?: number;
  choices?: Record<string, string | undefined>;
}

/**
 * `vps-test run` argv for a request. Flags the CLI on this branch does not know yet (`--run-id`,
 * `--stages`, `--run`) are only passed when `supported` lists them; without --run-id the run
 * folder is found by looking for the new one (see findNewRun).
 */
export function runArgv(req: RunRequest, supported: ReadonlySet<string>): string[] {
  // a run continued by --run reads its config and plan back from its folder: the CLI refuses a
  // config, --run-id or choices there, so they are only passed when a run starts
  const continuing = Boolean(req.run);
  const choices = Object.entries(req.choices ?? {}).filter(([, v]) => v);
  if (continuing && choices.length) throw new InputError(`input ${choices.map(([k]) => k).join(', ')}: run ${req.run} was planned by its first stage; give the choices to the step that starts it (build, or provision without build)`);
  const argv = ['run'];
  if (req.config && !continuing) argv.push(req.config);
  argv.push('--yes');
  if (!continuing && supported.has('--run-id')) argv.push('--run-id', req.runId);
  if (req.stages?.length) {
    if (!supported.has('--stages')) throw new Error(`this vps-test CLI has no --stages: the stage actions need a newer vps-test (asked for ${req.stages.join(',')})`);
    argv.push('--stages', req.stages.join(','));
  }
  if (req.run) {
    if (!supported.has('--run')) throw new Error('this vps-test CLI has no --run: the stage actions need a newer vps-test');
    argv.push('--run', req.run);
  }
  if (req.soakUntil) {
    if (!supported.has('--soak-until')) throw new Error('this vps-test CLI has no --soak-until: the soak action needs a newer vps-test');
    argv.push('--soak-until', req.soakUntil);
  }
  if (req.keep) argv.push('--keep');
  if (req.baseline) argv.push('--baseline', req.baseline);
  if (req.branch) argv.push('--branch', req.branch);
  if (req.pr !== undefined) argv.push('--pr', String(req.pr));
  for (const [k, v] of choices) argv.push(`--${k}`, v as string);
  return argv;
}

export const downArgv = (runId: string): string[] => ['down', runId];

/** The janitor's command (destroy cloud resources past their expires tag); not in every CLI yet. */
export const JANITOR_ARGV = ['janitor'];

/** Whether the CLI has a command, from its usage text. */
export async function cliHasCommand(node: string, name: string, cli = cliPath()): Promise<boolean> {
  const usage = await new Promise<string>((res) => execFile(node, [cli, '--help'], { timeout: 60_000 }, (_e, out) => res(String(out))));
  return new RegExp(`^\\s+${name}\\s`, 'm').test(usage);
}

/** Which of the contract's run flags this CLI knows, from its own help text. */
export async function supportedRunFlags(node: string, cli = cliPath()): Promise<Set<string>> {
  const help = await new Promise<string>((res) => execFile(node, [cli, 'run', '--help'], { timeout: 60_000 }, (_e, out) => res(String(out))));
  return new Set(['--run-id', '--stages', '--run', '--resume', '--soak-until', '--keep', '--baseline', '--branch', '--pr'].filter((f) => help.includes(f)));
}

/** Where the CLI puts the run folders of a workspace: <cwd>/.vps-test/runs (the CLI's own rule). */
export function runsRootOf(cwd: string): string {
  return join(cwd, '.vps-test', 'runs');
}

/**
 * The run registry the child uses (VPS_TEST_STATE_DIR): one per workspace, beside the run
 * folders, so a CLI run under sudo never writes root-owned files into the runner's home.
 */
export function registryOf(runsRoot: string): string {
  return resolve(runsRoot, '..', 'state');
}

export function runDirOf(root: string, runId: string): string {
  return join(root, runId);
}

export const hasRunDir = (root: string, runId: string): boolean => existsSync(join(root, runId, 'state.json'));

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs the CLI with its output streamed to the step log; stderr is also kept (config problems
 * become annotations). `onStart` gets the pid (saved for the post step, which stops an orphan).
 */
export function runCli(p: Privilege, node: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onStart?: (pid: number) => void; cli?: string }): Promise<CliOutcome> {
  const [command, ...rest] = elevated(p, [node, opts.cli ?? cliPath(), ...args]);
  const child = spawn(command as string, rest, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'inherit', 'pipe'] });
  if (child.pid) opts.onStart?.(child.pid);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    process.stderr.write(d);
    if (stderr.length < 1 << 20) stderr += d.toString();
  });
  // A cancelled job sends SIGINT/SIGTERM to this step: pass it on so the CLI tears down.
  const forward = (sig: NodeJS.Signals): void => {
    if (child.pid) signalProcess(p, child.pid, sig);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((res) => {
    child.on('error', (err) => (stderr += `\ncannot start ${command}: ${err.message}`));
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      res({ code, signal, stderr });
    });
  });
}

/** Sends `sig` to `pid`; a root-owned process (our sudo child) through `sudo -n kill`. */
export function signalProcess(p: Privilege, pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM' && p.mode === 'sudo') execFile('sudo', ['-n', 'kill', `-${sig.replace(/^SIG/, '')}`, String(pid)], () => {});
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
