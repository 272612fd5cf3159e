import { describe, expect, it } from 'vitest';
import { describeCheck, listeningPorts, renderHttpProbe } from '../../../src/deploy/readiness.js';

describe('listeningPorts', () => {
  it('reads ss -Hln output (IPv4, IPv6, wildcard, interface-scoped)', () => {
    const ss = [
      'LISTEN 0      4096         0.0.0.0:9000      0.0.0.0:*',
      'LISTEN 0      128            [::]:22            [::]:*',
      'LISTEN 0      10     127.0.0.53%lo:53        0.0.0.0:*',
      'UNCONN 0      0                 *:4433            *:*',
    ].join('\n');
    expect([...listeningPorts(ss, 'tcp')].sort((a, b) => a - b)).toEqual([22, 53, 4433, 9000]);
  });

  it('reads /proc/net tables, keeping only listening (tcp 0A) or unconnected (udp 07) sockets', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1',
    ].join('\n');
    expect([...listeningPorts(tcp, 'tcp')]).toEqual([9000]);
    const udp = '  1: 00000000:1151 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0';
    expect([...listeningPorts(udp, 'udp')]).toEqual([4433]);
    expect([...listeningPorts(udp, 'tcp')]).toEqual([]);
  });
});

describe('http probe', () => {
  it('quotes the URL and has a /dev/tcp fallback with the path and host', () => {
    const probe = renderHttpProbe('http://10.1.0.2:8080/health?a=1&b=$(id)');
    expect(probe).toContain("wget -q -T 2 -O /dev/null 'http://10.1.0.2:8080/health?a=1&b=$(id)'");
    expect(probe).toContain('/dev/tcp/10.1.0.2/8080');
    expect(probe).toContain('GET /health?a=1&b=$(id) HTTP/1.0');
  });
  it('describes checks for error messages', () => {
    expect(describeCheck({ log: 'listening', tcp: 9000 })).toBe('log /listening/, tcp port 9000');
  });
});
