#!/usr/bin/env python3
"""A toy RPC mesh (the subject of examples/rpc-failover.yml).

  provider --name NODE --port P     serves calls: each line "call N" is answered "served-by NODE N"
  client --providers IP,IP,IP --port P --listen L [--no-failover]
                                    a client daemon: round robin over the providers, one pooled
                                    connection per provider ("Creating connection" is logged once
                                    per connection), failover to the next provider when one fails
  call --listen L [--count N]       asks the local client daemon for N calls; prints who served
                                    each, then "spread NAME=COUNT ..."; exit 1 when a call failed
"""
import socket, socketserver, sys, threading
from collections import Counter


def opts(args):
    return {k: v for k, v in zip(args[0::2], args[1::2])} if '--no-failover' not in args else {**opts([a for a in args if a != '--no-failover']), '--no-failover': True}


def log(text):
    print(text, flush=True)


class Provider(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            n = line.decode().split()[-1]
            self.wfile.write(f'served-by {NAME} {n}\n'.encode())
            self.wfile.flush()


class Client:
    def __init__(self, providers, port, failover):
        self.providers, self.port, self.failover = providers, port, failover
        self.conns, self.next, self.lock, self.calls = {}, 0, threading.Lock(), 0

    def conn(self, ip):
        if ip not in self.conns:
            log(f'Creating connection to {ip}:{self.port}')
            s = socket.create_connection((ip, self.port), timeout=2)
            self.conns[ip] = (s, s.makefile('rb'))
        return self.conns[ip]

    def call_one(self, ip):
        s, reader = self.conn(ip)
        s.sendall(f'call {self.calls}\n'.encode())
        reply = reader.readline().decode().strip()
        if not reply:
            raise ConnectionError('connection closed')
        return reply

    def call(self):
        with self.lock:
            self.calls += 1
            tries = len(self.providers) if self.failover else 1
            errors = []
            for _ in range(tries):
                ip = self.providers[self.next % len(self.providers)]
                self.next += 1
                try:
                    return self.call_one(ip)
                except OSError as err:
                    self.conns.pop(ip, None)
                    errors.append(f'{ip}: {err}')
                    log(f'call {self.calls} to {ip} failed ({err})' + ('; failover to the next provider' if self.failover else ''))
            return 'error ' + '; '.join(errors)


class Control(socketserver.StreamRequestHandler):
    def handle(self):
        for _ in self.rfile:
            self.wfile.write((CLIENT.call() + '\n').encode())
            self.wfile.flush()


def serve(handler, port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(('0.0.0.0', port), handler) as server:
        server.serve_forever()


def main(argv):
    global NAME, CLIENT
    cmd, o = argv[0], opts(argv[1:])
    if cmd == 'provider':
        NAME = o['--name']
        log(f'provider {NAME} listening on {o["--port"]}')
        serve(Provider, int(o['--port']))
    elif cmd == 'client':
        CLIENT = Client(o['--providers'].split(','), int(o['--port']), not o.get('--no-failover'))
        log(f'client over {o["--providers"]} listening on {o["--listen"]}')
        serve(Control, int(o['--listen']))
    elif cmd == 'call':
        served, failed = Counter(), 0
        with socket.create_connection(('127.0.0.1', int(o['--listen'])), timeout=10) as s:
            reader = s.makefile()
            for _ in range(int(o.get('--count', 1))):
                s.sendall(b'call\n')
                reply = reader.readline().strip()
                if reply.startswith('served-by '):
                    print(reply)
                    served[reply.split()[1]] += 1
                else:
                    print(reply, file=sys.stderr)
                    failed += 1
        print('spread ' + ' '.join(f'{k}={v}' for k, v in sorted(served.items())))
        return 1 if failed else 0
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


NAME, CLIENT = '', None
if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
