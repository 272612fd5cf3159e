// Ctrl-C and SIGTERM abort the run's current stage; teardown still runs. A second Ctrl-C while
// tearing down is ignored with a notice, so nothing is left behind by impatience. `vps-test stop`
// is a SIGTERM preceded by a stop file in the run folder: then the run ends gracefully (logs
// collected, evaluated, reported) instead of as an interruption (docs/architecture.md, "stop").
import { existsSync } from 'node:fs';

export const STOP_FILE = 'stop-requested';

export interface SignalScope {
  signal: AbortSignal;
  /** The signal that interrupted the run, if any (exit code 130). */
  readonly received: NodeJS.Signals | undefined;
  /** The signal came from `vps-test stop` (the stop file existed when it arrived). */
  readonly stopRequested: boolean;
  dispose(): void;
}

export function abortOnSignals(log: (line: string) => void, options: { stopFile?: string } = {}): SignalScope {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let stopRequested = false;
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      log(`${sig} again: still tearing down so nothing is leaked; please wait`);
      return;
    }
    received = sig;
    stopRequested = sig === 'SIGTERM' && options.stopFile !== undefined && existsSync(options.stopFile);
    if (stopRequested) {
      log('stop requested (vps-test stop): ending the current stage; collecting logs, evaluating, reporting, tearing down');
      controller.abort(new Error('stopped by vps-test stop'));
      return;
    }
    log(`${sig}: stopping; tearing down what this run created`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get stopRequested() {
      return stopRequested;
    },
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
