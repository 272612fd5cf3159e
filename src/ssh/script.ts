// Multi-line scripts with set -e semantics that say WHICH line failed: each top-level statement
// is preceded by a marker (on stderr) naming its line; an EXIT trap reports the failing one.
// Rendering and parsing are pure; SshPool.runScript runs them.
import { splitStatements, type Statement } from './statements.js';

export const STEP_MARKER = '__vt_step__';
export const FAIL_MARKER = '__vt_failed__';
/** Longest script sent as a command argument (Linux caps one argument at 128 KiB). */
export const MAX_SCRIPT_BYTES = 100_000;

/** Lines (each one statement, may span lines) or a text split into statements. */
export function toStatements(script: readonly string[] | string): Statement[] {
  if (typeof script === 'string') return splitStatements(script);
  const out: Statement[] = [];
  let line = 1;
  for (const text of script) {
    if (text.trim() !== '') out.push({ line, text });
    line += text.split('\n').length;
  }
  return out;
}

/** The instrumented script: set -e, a step marker before each statement, an EXIT trap. */
export function renderScript(statements: readonly Statement[]): string {
  const body = statements.flatMap((s) => [`__vt_line=${s.line}; printf '${STEP_MARKER} %s\\n' ${s.line} >&2`, s.text]);
  return [
    '__vt_line=0',
    `__vt_exit() { __vt_rc=$?; if [ "$__vt_rc" -ne 0 ]; then printf '${FAIL_MARKER} %s %s\\n' "$__vt_line" "$__vt_rc" >&2; fi; }`,
    'trap __vt_exit EXIT',
    'set -e',
    ...body,
    '',
  ].join('\n');
}

export interface ScriptFailure {
  line: number;
  text: string;
  code: number;
  /** stderr written while the failing statement ran. */
  stderr: string;
}

/**
 * Follows a script's stderr line by line: strips the markers, keeps each step's stderr apart,
 * passes the rest on. Partial lines are held until their newline (markers are whole lines).
 */
const MARKER_LINE = new RegExp(`^([\\s\\S]*?)(${STEP_MARKER}|${FAIL_MARKER}) (\\d+)(?: (\\d+))?\\n?$`);

export class ScriptStderr {
  private partial = '';
  private currentLine = 0;
  private readonly byLine = new Map<number, string>();
  private failedAt: { line: number; code: number } | undefined;
  private plain = '';

  constructor(private readonly forward?: (text: string) => void) {}

  write(chunk: string): void {
    const text = this.partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.partial = text;
      return;
    }
    this.partial = text.slice(end + 1);
    for (const line of text.slice(0, end + 1).split(/(?<=\n)/)) this.line(line);
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(line: string): void {
    // A marker may follow stderr that did not end in a newline: split that prefix off.
    const m = MARKER_LINE.exec(line);
    if (!m) return this.plain_(line);
    if (m[1]) this.plain_(m[1]);
    if (m[2] === STEP_MARKER) this.currentLine = Number(m[3]);
    else this.failedAt = { line: Number(m[3]), code: Number(m[4]) };
  }

  private plain_(text: string): void {
    this.plain += text;
    this.byLine.set(this.currentLine, (this.byLine.get(this.currentLine) ?? '') + text);
    this.forward?.(text);
  }

  /** All stderr without markers. */
  text(): string {
    return this.plain;
  }

  /** The step that was running last (0 before the first). */
  lastLine(): number {
    return this.currentLine;
  }

  failure(statements: readonly Statement[]): ScriptFailure | undefined {
    if (!this.failedAt) return undefined;
    const { line, code } = this.failedAt;
    const text = statements.find((s) => s.line === line)?.text ?? '';
    return { line, text, code, stderr: this.byLine.get(line) ?? '' };
  }
}

export class ScriptFailedError extends Error {
  override name = 'ScriptFailedError';
  constructor(
    readonly node: string,
    readonly failure: ScriptFailure | undefined,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** One-line summary of a failed step for error messages. */
export function describeFailure(node: string, f: ScriptFailure): string {
  const first = f.text.split('\n')[0]!.trim();
  const shown = first.length > 120 ? `${first.slice(0, 117)}...` : first;
  const err = f.stderr.trim().split('\n').slice(-10).join('\n');
  return `script on node "${node}" failed at line ${f.line} (\`${shown}\`) with exit code ${f.code}${err ? `:\n${err}` : ''}`;
}
