// Ctrl-C and SIGTERM abort the run's current stage; teardown still runs. A second Ctrl-C while
// tearing down is ignored with a notice, so nothing is left behind by impatience.
export interface SignalScope {
  signal: AbortSignal;
  /** The signal that interrupted the run, if any (exit code 130 / 143). */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

export function abortOnSignals(log: (line: string) => void): SignalScope {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      log(`${sig} again: still tearing down so nothing is leaked; please wait`);
      return;
    }
    received = sig;
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
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
