// One progress line per stage with elapsed time, to stderr so stdout stays for results.
export interface Progress {
  stage(name: string): void;
  line(text: string): void;
  done(name: string, ms: number, note?: string): void;
  failed(name: string, ms: number, error: string): void;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function consoleProgress(write: (s: string) => void = (s) => process.stderr.write(s)): Progress {
  const started = Date.now();
  const at = () => `[${seconds(Date.now() - started).padStart(6)}]`;
  return {
    stage: (name) => write(`${at()} ${name} ...\n`),
    line: (text) => write(`${at()}   ${text}\n`),
    done: (name, ms, note) => write(`${at()} ${name} done in ${seconds(ms)}${note ? `: ${note}` : ''}\n`),
    failed: (name, ms, error) => write(`${at()} ${name} FAILED after ${seconds(ms)}: ${error}\n`),
  };
}

/**
 * Progress to `inner` and, line for line, to the run's own log (<runDir>/run.log) for
 * `vps-test logs RUN`. A failing log write never fails the run.
 */
export function teeProgress(inner: Progress, append: (line: string) => void): Progress {
  const stamp = (text: string) => {
    try {
      append(`${new Date().toISOString()} ${text}\n`);
    } catch {
      /* the state file reports write errors; the log is best effort */
    }
  };
  return {
    stage: (name) => (inner.stage(name), stamp(`${name} ...`)),
    line: (text) => (inner.line(text), stamp(`  ${text}`)),
    done: (name, ms, note) => (inner.done(name, ms, note), stamp(`${name} done in ${seconds(ms)}${note ? `: ${note}` : ''}`)),
    failed: (name, ms, error) => (inner.failed(name, ms, error), stamp(`${name} FAILED after ${seconds(ms)}: ${error}`)),
  };
}
