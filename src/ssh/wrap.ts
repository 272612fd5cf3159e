// The remote side of exec: how a command is wrapped so it can be found and killed later, and
// the script that kills it. Pure string rendering.
import { shellJoin, shellQuote } from '../shell/quote.js';

/** First stdout line of every wrapped command: the pid of the remote session leader. */
export const PID_MARKER = '__vt_pid__';

export interface WrapOptions {
  /** Prefix that runs the command as the node (e.g. ip netns exec ...); [] for the machine itself. */
  prefix: readonly string[];
  /**
   * Remote `timeout` backstop in seconds: kills the command even if the controller vanished.
   * The controller's own kill fires first; this only catches a lost connection.
   */
  backstopSeconds?: number;
}

/**
 * sshd makes the login shell a session and process-group leader. The wrapper prints that pid,
 * then `exec`s (keeping the pid) into POSIX sh running the command, so killing the process
 * group (and the session) reaches the command and everything it started.
 */
export function wrapCommand(command: string, options: WrapOptions): string {
  const inner = shellJoin([...options.prefix, '/bin/sh', '-c', command]);
  const head = `printf '${PID_MARKER}%s\\n' "$$"`;
  if (options.backstopSeconds === undefined) return `${head}; exec ${inner}`;
  const seconds = Math.max(1, Math.ceil(options.backstopSeconds));
  return `${head}; if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 ${seconds} ${inner}; else exec ${inner}; fi`;
}

/**
 * Shell functions over the process group and session `$pg`: `alive` (any member that is not a
 * zombie: an exited process whose parent has not reaped it yet is dead for our purposes) and
 * `hit SIG` (signal the group and the session, which also reaches members that changed group).
 */
export const GROUP_FUNCTIONS = [
  'members() { if command -v pgrep >/dev/null 2>&1; then { pgrep -g $pg; pgrep -s $pg; } 2>/dev/null; elif kill -0 -$pg 2>/dev/null; then echo $pg; fi; }',
  'alive() { for p in $(members); do st=$(sed "s/.*) //" /proc/$p/stat 2>/dev/null | cut -d" " -f1); [ -n "$st" ] && [ "$st" != Z ] && return 0; done; return 1; }',
  'hit() { kill -$1 -$pg 2>/dev/null; command -v pkill >/dev/null 2>&1 && pkill -$1 -s $pg 2>/dev/null; return 0; }',
].join('\n');

/**
 * Kills the process group and session led by `pid`: TERM, wait up to `graceMs`, then KILL.
 * Exits 0 once nothing of the group is left. Uses `kill -SIG -PGID` (works in dash and bash).
 */
export function renderKillScript(pid: number, graceMs = 2000): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`refusing to kill process group ${pid}`);
  const tries = Math.max(1, Math.ceil(graceMs / 50));
  return [
    `pg=${pid}`,
    GROUP_FUNCTIONS,
    'hit TERM',
    'i=0',
    `while alive; do i=$((i+1)); if [ $i -ge ${tries} ]; then hit KILL; sleep 0.1; break; fi; sleep 0.05; done`,
    'if alive; then echo "process group $pg survived SIGKILL" >&2; exit 1; fi',
    'exit 0',
  ].join('\n');
}

/** Splits the pid marker line off the start of stdout. `undefined` until a full line is seen. */
export function takePidLine(buffered: string): { pid: number; rest: string; before: string } | undefined {
  const at = buffered.indexOf(PID_MARKER);
  if (at < 0) return undefined;
  const end = buffered.indexOf('\n', at);
  if (end < 0) return undefined;
  const pid = Number(buffered.slice(at + PID_MARKER.length, end));
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, before: buffered.slice(0, at), rest: buffered.slice(end + 1) };
}

/** `cd <dir> && ` prefix for commands that must run in a directory. */
export function inDir(dir: string, command: string): string {
  return `cd ${shellQuote(dir)} && ${command}`;
}
