#!/usr/bin/env python3
"""A tiny Prometheus exporter (the subject of examples/metrics.yml): serves /metrics with the
number of peers this node says it is connected to.

  --port P --peers N [--node NAME]
"""
import http.server, sys

args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
PEERS = int(args.get('--peers', '0'))
NODE = args.get('--node', 'node')


class Metrics(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != '/metrics':
            self.send_error(404)
            return
        body = (
            '# HELP peers_connected Peers this node has a live connection to.\n'
            '# TYPE peers_connected gauge\n'
            f'peers_connected {PEERS}\n'
            '# TYPE messages_relayed_total counter\n'
            f'messages_relayed_total{{node="{NODE}"}} {PEERS * 10}\n'
        ).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; version=0.0.4')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


print(f'exporter for {NODE} on port {args["--port"]}', flush=True)
http.server.ThreadingHTTPServer(('0.0.0.0', int(args['--port'])), Metrics).serve_forever()
