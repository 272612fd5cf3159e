// Judging one step's outcome against what the scenario expects. Pure: outputs in, a reason out
// (undefined = as expected).

export interface RunExpect {
  exit?: number | undefined;
  stdout?: string | undefined;
  stderr?: string | undefined;
  /** ms */
  within?: number | undefined;
}

export interface RunOutcome {
  code: number | null;
  signal?: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  timeoutMs: number;
}

const EXCERPT_CHARS = 800;

/** The tail of the output, stdout then stderr, at most ~800 characters. */
export function outputTail(stdout: string, stderr: string, max = EXCERPT_CHARS): string {
  const parts = [stdout.trimEnd() && `stdout:\n${stdout.trimEnd()}`, stderr.trimEnd() && `stderr:\n${stderr.trimEnd()}`].filter(Boolean);
  const text = parts.join('\n');
  return text.length > max ? `…${text.slice(-max)}` : text;
}

function pattern(source: string): RegExp {
  return new RegExp(source, 'm');
}

/** Why a command's outcome is not what was expected; a command is expected to exit 0 unless told. */
export function judgeRun(outcome: RunOutcome, expect: RunExpect = {}): string | undefined {
  if (outcome.timedOut) return `timed out after ${outcome.timeoutMs} ms`;
  const wanted = expect.exit ?? 0;
  if (outcome.code !== wanted) {
    return outcome.code === null ? `killed by ${outcome.signal ?? 'a signal'} (expected exit ${wanted})` : `exit code ${outcome.code}, expected ${wanted}`;
  }
  if (expect.stdout !== undefined && !pattern(expect.stdout).test(outcome.stdout)) return `stdout does not match /${expect.stdout}/`;
  if (expect.stderr !== undefined && !pattern(expect.stderr).test(outcome.stderr)) return `stderr does not match /${expect.stderr}/`;
  if (expect.within !== undefined && outcome.durationMs > expect.within) return `took ${outcome.durationMs} ms, more than the ${expect.within} ms bound`;
  return undefined;
}

/** The capture: group 1 of the regex (or the whole match) in stdout, then stderr. */
export function captureValue(regex: string, stdout: string, stderr: string): string | undefined {
  const re = pattern(regex);
  const m = re.exec(stdout) ?? re.exec(stderr);
  if (!m) return undefined;
  return (m[1] ?? m[0]).trim();
}

/** Lines of `text` matching the pattern. */
export function countMatchingLines(text: string, source: string): number {
  const re = new RegExp(source);
  return text.split('\n').filter((line) => re.test(line)).length;
}

export interface CountBounds {
  min?: number | undefined;
  max?: number | undefined;
  eq?: number | undefined;
}

export function judgeCount(count: number, bounds: CountBounds): string | undefined {
  if (bounds.eq !== undefined && count !== bounds.eq) return `counted ${count}, expected exactly ${bounds.eq}`;
  if (bounds.min !== undefined && count < bounds.min) return `counted ${count}, expected at least ${bounds.min}`;
  if (bounds.max !== undefined && count > bounds.max) return `counted ${count}, expected at most ${bounds.max}`;
  return undefined;
}

/** `a.b[0].c` into an object; undefined where the path leads nowhere. */
export function jsonPath(value: unknown, path: string): unknown {
  const keys = path.replace(/^\$\.?/, '').split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let at: unknown = value;
  for (const key of keys) {
    if (at === null || typeof at !== 'object') return undefined;
    at = Array.isArray(at) ? at[Number(key)] : (at as Record<string, unknown>)[key];
  }
  return at;
}

export interface HttpExpect {
  status: number;
  body?: string | undefined;
  json?: { path: string; equals: string | number | boolean | null } | undefined;
}

export function judgeHttp(status: number, body: string, expect: HttpExpect): string | undefined {
  if (status !== expect.status) return `HTTP status ${status}, expected ${expect.status}`;
  if (expect.body !== undefined && !pattern(expect.body).test(body)) return `body does not match /${expect.body}/`;
  if (expect.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `body is not JSON (expected ${expect.json.path} = ${JSON.stringify(expect.json.equals)})`;
    }
    const got = jsonPath(parsed, expect.json.path);
    if (got !== expect.json.equals) return `${expect.json.path} is ${got === undefined ? 'missing' : JSON.stringify(got)}, expected ${JSON.stringify(expect.json.equals)}`;
  }
  return undefined;
}

/** Splits curl's `-w '\n%{http_code}'` output into body and status. */
export function parseCurlOutput(stdout: string): { status: number; body: string } | undefined {
  const at = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(at + 1).trim());
  if (!Number.isInteger(status) || status <= 0) return undefined;
  return { status, body: at >= 0 ? stdout.slice(0, at) : '' };
}
