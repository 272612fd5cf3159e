// Tiny network probe run INSIDE lab namespaces (`ip netns exec <ns> node net-probe.mjs ...`).
// Prints one JSON line per event so the test reads what really happened on the wire.
//   udp-listen <port> <ms> [echo]        print every datagram received; optionally echo it back
//   udp-send <host> <port> <count> <ms> [localPort]  send count datagrams, print replies within ms
//   tcp-sink <port> <ms>                 accept one connection, print bytes and seconds
//   tcp-send <host> <port> <ms>          write as fast as possible for ms
//   tcp-connect <host> <port> <ms>       try to connect, print whether it worked
//   udp-ttl <host> <port> <ttl> <count>  send count datagrams with that IP TTL
//   udp-rtt <host> <port> <count>        ping an echoing udp-listen count times, print the round trips (ms)
//   udp-mesh <name> <port> <goFile> <ms> <peerIp>...  once <goFile> exists, send from <port> to
//                                        every peer's <ip>:<port> every 200 ms for <ms> and answer
//                                        every sender where it came from (peer-reflexive); print
//                                        who was heard at the end
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import net from 'node:net';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';

const [mode, ...args] = process.argv.slice(2);
const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

if (mode === 'udp-listen') {
  const [port, ms, echo] = args;
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    out({ event: 'recv', from: `${rinfo.address}:${rinfo.port}`, data: msg.toString() });
    if (echo === 'echo') sock.send(msg, rinfo.port, rinfo.address);
  });
  sock.bind(Number(port), '0.0.0.0', () => out({ event: 'ready', port: sock.address().port }));
  setTimeout(() => { sock.close(); out({ event: 'done' }); }, Number(ms));
} else if (mode === 'udp-send') {
  const [host, port, count, ms, localPort] = args;
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => out({ event: 'reply', from: `${rinfo.address}:${rinfo.port}`, data: msg.toString() }));
  sock.bind(Number(localPort ?? 0), '0.0.0.0', () => {
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= Number(count)) { clearInterval(timer); return; }
      sock.send(`probe-${sent++}`, Number(port), host);
    }, 10);
    setTimeout(() => { clearInterval(timer); sock.close(); out({ event: 'done', sent }); }, Number(ms));
  });
} else if (mode === 'tcp-sink') {
  const [port, ms] = args;
  const server = net.createServer((conn) => {
    let bytes = 0;
    const start = process.hrtime.bigint();
    conn.on('data', (d) => { bytes += d.length; });
    conn.on('close', () => {
      out({ event: 'sink', bytes, seconds: Number(process.hrtime.bigint() - start) / 1e9 });
      server.close();
    });
  });
  server.listen(Number(port), '0.0.0.0', () => out({ event: 'ready' }));
  setTimeout(() => process.exit(0), Number(ms)).unref();
} else if (mode === 'tcp-send') {
  const [host, port, ms] = args;
  const chunk = Buffer.alloc(16384, 120);
  const conn = net.connect(Number(port), host, () => {
    const until = Date.now() + Number(ms);
    const pump = () => {
      while (Date.now() < until) { if (!conn.write(chunk)) return conn.once('drain', pump); }
      conn.end();
    };
    pump();
  });
  conn.on('close', () => out({ event: 'sent' }));
  conn.on('error', (e) => out({ event: 'error', message: e.message }));
} else if (mode === 'tcp-connect') {
  const [host, port, ms] = args;
  const conn = net.connect(Number(port), host);
  const finish = (ok, why) => { out({ event: 'connect', ok, why }); conn.destroy(); process.exit(0); };
  conn.on('connect', () => finish(true, 'connected'));
  conn.on('error', (e) => finish(false, e.message));
  setTimeout(() => finish(false, 'timeout'), Number(ms));
} else if (mode === 'udp-ttl') {
  const [host, port, ttl, count] = args;
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '0.0.0.0', () => {
    sock.setTTL(Number(ttl));
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= Number(count)) { clearInterval(timer); sock.close(); out({ event: 'done', sent }); return; }
      sock.send(`ttl-${ttl}-${sent++}`, Number(port), host);
    }, 20);
  });
} else if (mode === 'udp-rtt') {
  const [host, port, count] = args;
  const sock = dgram.createSocket('udp4');
  const rtts = [];
  let sentAt = 0n;
  let seq = 0;
  const ping = () => { sentAt = process.hrtime.bigint(); sock.send(`rtt-${++seq}`, Number(port), host); };
  sock.on('message', (msg) => {
    if (msg.toString() !== `rtt-${seq}`) return;
    rtts.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (rtts.length >= Number(count)) { out({ event: 'rtt', rtts }); sock.close(); return; }
    setTimeout(ping, 20);
  });
  const retry = setInterval(() => { if (rtts.length < Number(count)) ping(); else clearInterval(retry); }, 2000);
  sock.bind(0, '0.0.0.0', ping);
  setTimeout(() => { out({ event: 'rtt', rtts, timeout: true }); process.exit(0); }, 30_000).unref();
} else if (mode === 'udp-mesh') {
  const [name, port, goFile, ms, ...peers] = args;
  const { existsSync } = await import('node:fs');
  const sock = dgram.createSocket('udp4');
  const heard = new Set();
  sock.on('message', (msg, rinfo) => {
    const [kind, from] = msg.toString().split(' ');
    if (!from) return;
    heard.add(from);
    if (kind === 'hello') sock.send(`ack ${name}`, rinfo.port, rinfo.address);
  });
  sock.bind(Number(port), '0.0.0.0', () => {
    out({ event: 'ready' });
    const hello = Buffer.from(`hello ${name}`);
    const wait = setInterval(() => {
      if (!existsSync(goFile)) return;
      clearInterval(wait);
      const until = Date.now() + Number(ms);
      const timer = setInterval(() => {
        if (Date.now() > until) return clearInterval(timer);
        for (const peer of peers) sock.send(hello, Number(port), peer);
      }, 200);
      setTimeout(() => { out({ event: 'mesh', heard: [...heard].sort() }); sock.close(); }, Number(ms) + 1000);
    }, 50);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
