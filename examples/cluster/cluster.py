#!/usr/bin/env python3
"""A toy cluster manager/agent (the subject of examples/cluster-exec.yml).

  serve --name NODE --port P      agent daemon: answers "whoami" and runs commands sent to it
  id                              prints this machine's identity (id=...)
  exec --peers IP[,IP] --port P --to ID -- COMMAND
                                  runs COMMAND on the machine whose identity is ID; like many
                                  real managers it short-cuts to a local run when ID is its own
"""
import json, os, secrets, socket, socketserver, subprocess, sys

ID_FILE = 'cluster.id'


def identity():
    if not os.path.exists(ID_FILE):
        with open(ID_FILE, 'w') as f:
            f.write(secrets.token_hex(6))
    with open(ID_FILE) as f:
        return f.read().strip()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        request = json.loads(self.rfile.readline())
        if request['op'] == 'whoami':
            reply = {'id': identity()}
        else:
            p = subprocess.run(['sh', '-c', request['cmd']], capture_output=True, text=True, env={**os.environ, 'CLUSTER_NODE': NAME})
            reply = {'id': identity(), 'exit': p.returncode, 'stdout': p.stdout, 'stderr': p.stderr}
        self.wfile.write((json.dumps(reply) + '\n').encode())


def ask(ip, port, request):
    with socket.create_connection((ip, port), timeout=5) as s:
        s.sendall((json.dumps(request) + '\n').encode())
        return json.loads(s.makefile().readline())


def main(argv):
    global NAME
    cmd, args = argv[0], argv[1:]
    opts = dict(zip(args[0:len(args):2], args[1:len(args):2])) if '--' not in args else dict(zip(args[:args.index('--'):2], args[1:args.index('--'):2]))
    if cmd == 'serve':
        NAME = opts['--name']
        identity()
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        with socketserver.ThreadingTCPServer(('0.0.0.0', int(opts['--port'])), Handler) as server:
            print(f'agent {NAME} id={identity()} listening on {opts["--port"]}', flush=True)
            server.serve_forever()
    elif cmd == 'id':
        print(f'id={identity()}')
    elif cmd == 'exec':
        command = ' '.join(args[args.index('--') + 1:])
        target = opts['--to']
        if target == identity():
            NAME = 'local'
            p = subprocess.run(['sh', '-c', command], env={**os.environ, 'CLUSTER_NODE': os.environ.get('CLUSTER_NODE', 'local')})
            return p.returncode
        for ip in opts['--peers'].split(','):
            if ask(ip, int(opts['--port']), {'op': 'whoami'})['id'] == target:
                reply = ask(ip, int(opts['--port']), {'op': 'exec', 'cmd': command})
                sys.stdout.write(reply['stdout'])
                sys.stderr.write(reply['stderr'])
                return reply['exit']
        print(f'no peer has id {target}', file=sys.stderr)
        return 2
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


NAME = 'local'
if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
