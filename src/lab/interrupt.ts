// Ctrl-C (or SIGTERM, or an AbortSignal) in the middle of createLab must still destroy what was
// made. The guard records the interruption; createLab stops at its next step, cleans up, and
// then the guard re-raises the signal when nobody else handles it (so the shell sees 130).
export type InterruptReason = 'SIGINT' | 'SIGTERM' | 'abort';

export class LabInterruptedError extends Error {
  override name = 'LabInterruptedError';
  constructor(readonly reason: InterruptReason) {
    super(`lab creation interrupted (${reason}); everything it created was removed`);
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export class InterruptGuard {
  private reasonValue: InterruptReason | undefined;
  private othersListening = false;
  private emergencyTimer: NodeJS.Timeout | undefined;
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private readonly onAbort = () => this.trip('abort');

  /**
   * @param emergency runs when the creation does not reach its own cleanup within `graceMs`
   *   after the interruption (e.g. stuck in a command); it should clean up and re-raise.
   */
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly emergency: () => Promise<void>,
    private readonly graceMs = 10_000,
  ) {}

  get reason(): InterruptReason | undefined {
    return this.reasonValue;
  }

  install(handleSignals: boolean): void {
    if (this.signal?.aborted) this.trip('abort');
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (!handleSignals) return;
    for (const sig of SIGNALS) {
      const handler = () => this.trip(sig);
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
  }

  uninstall(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    for (const [sig, handler] of this.handlers) process.off(sig, handler);
    this.handlers.clear();
    if (this.emergencyTimer) clearTimeout(this.emergencyTimer);
    this.emergencyTimer = undefined;
  }

  /** Throws LabInterruptedError once interrupted; called between steps. */
  check(): void {
    if (this.reasonValue) throw new LabInterruptedError(this.reasonValue);
  }

  /** After cleanup: deliver the signal again if no other handler will act on it. */
  reraise(): void {
    const reason = this.reasonValue;
    this.uninstall();
    if (reason && reason !== 'abort' && !this.othersListening) process.kill(process.pid, reason);
  }

  private trip(reason: InterruptReason): void {
    if (this.reasonValue) return; // a second Ctrl-C while cleaning up changes nothing
    this.reasonValue = reason;
    if (reason !== 'abort') this.othersListening = process.listenerCount(reason) > 1;
    this.emergencyTimer = setTimeout(() => void this.emergency(), this.graceMs);
  }
}
