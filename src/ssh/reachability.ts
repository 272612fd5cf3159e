// Which nodes still answer SSH (docs/architecture.md, "Unreachable nodes"): consecutive transport
// failures per node; after a bounded number the node is unreachable and every later operation on
// it fails at once, so a dead node costs a couple of timeouts, not one per round for the rest of
// the run.
import { HostKeyMismatchError } from './hostkey.js';

/** A node that stopped answering SSH; every later operation on it fails at once. */
export interface Unreachable {
  node: string;
  since: Date;
  reason: string;
}

export class NodeUnreachableError extends Error {
  override name = 'NodeUnreachableError';
  constructor(readonly unreachable: Unreachable) {
    super(`node "${unreachable.node}" unreachable since ${unreachable.since.toISOString()} (${unreachable.reason})`);
  }
}

/** Failures that say the machine or its sshd is gone, as opposed to a command that failed. */
export function isTransportFailure(err: unknown): boolean {
  if (err instanceof HostKeyMismatchError) return false;
  const m = (err as Error)?.message ?? '';
  return /^cannot connect to node|^lost the connection to|^cannot start a command on (?!.*(open failed|Channel open failure|no more sessions))/.test(m);
}

export class Reachability {
  private readonly failures = new Map<string, number>();
  private readonly down = new Map<string, Unreachable>();
  private readonly listeners: ((u: Unreachable) => void)[] = [];

  constructor(
    private readonly after: number,
    private readonly onMarked: (u: Unreachable, count: number) => void = () => undefined,
  ) {}

  get(node: string): Unreachable | undefined {
    return this.down.get(node);
  }

  all(): Unreachable[] {
    return [...this.down.values()];
  }

  listen(listener: (u: Unreachable) => void): void {
    this.listeners.push(listener);
  }

  /** Runs `op` for `node`, counting its transport failures (not while the run is aborting). */
  async track<T>(node: string, op: () => Promise<T>, aborting: () => boolean): Promise<T> {
    const down = this.down.get(node);
    if (down) throw new NodeUnreachableError(down);
    try {
      const value = await op();
      this.failures.delete(node);
      return value;
    } catch (err) {
      if (!isTransportFailure(err) || aborting()) throw err;
      const count = (this.failures.get(node) ?? 0) + 1;
      this.failures.set(node, count);
      if (count >= this.after && !this.down.has(node)) {
        const u: Unreachable = { node, since: new Date(), reason: ((err as Error).message.split('\n')[0] as string).slice(0, 200) };
        this.down.set(node, u);
        this.onMarked(u, count);
        for (const l of this.listeners) l(u);
      }
      throw err;
    }
  }
}
