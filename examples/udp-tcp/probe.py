#!/usr/bin/env python3
"""A toy DHT worker (the subject of examples/udp-vs-tcp.yml): UDP for the DHT, TCP (HTTP-like)
for bulk transfers, both on one port.

  serve --port P                 echoes UDP datagrams and TCP lines on port P
  probe udp|tcp HOST PORT        one round trip; exit 0 when the echo came back within 2 s
"""
import socket, socketserver, sys, threading


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class Tcp(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline())


def main(argv):
    if argv[0] == 'serve':
        port = int(argv[2])
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        udp = socketserver.ThreadingUDPServer(('0.0.0.0', port), Udp)
        threading.Thread(target=udp.serve_forever, daemon=True).start()
        print(f'worker listening on udp and tcp port {port}', flush=True)
        socketserver.ThreadingTCPServer(('0.0.0.0', port), Tcp).serve_forever()
    elif argv[0] == 'probe':
        proto, host, port = argv[1], argv[2], int(argv[3])
        try:
            if proto == 'udp':
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(2)
                s.sendto(b'ping\n', (host, port))
                reply = s.recvfrom(64)[0]
            else:
                s = socket.create_connection((host, port), timeout=2)
                s.sendall(b'ping\n')
                reply = s.makefile('rb').readline()
        except OSError as err:
            print(f'{proto}: no echo from {host}:{port} ({err})', file=sys.stderr)
            return 1
        print(f'{proto}: echo from {host}:{port}: {reply.decode().strip()}')
        return 0
    return 64


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
