// A userspace TCP relay that delays every byte by a fixed time in each direction, standing in
// for network round-trip time (this kernel has no netem). Run as its own process so relaying
// does not compete with the measured code's event loop:
//   node <tsx flags> delay-proxy.ts <oneWayMs> <targetPort>...   -> prints the listen ports (JSON)
import net from 'node:net';

/** Forwards `from` to `to`, each chunk `delayMs` later, in order. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.at <= now) to.write(queue.shift()!.chunk);
    if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.at - now));
    else if (ended) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (!timer && queue.length === 0) to.end();
  });
}

function relay(oneWayMs: number, targetPort: number): Promise<number> {
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    delayedPipe(client, upstream, oneWayMs);
    delayedPipe(upstream, client, oneWayMs);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    // an orderly end travels through the queue (delayedPipe); errors tear both sides down
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

const [oneWay, ...targets] = process.argv.slice(2).map(Number);
const ports = await Promise.all(targets.map((t) => relay(oneWay!, t)));
process.stdout.write(`${JSON.stringify(ports)}\n`);
// the benchmark holds our stdin: when it is gone, so are we
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
