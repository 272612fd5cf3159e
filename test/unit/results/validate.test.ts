import { describe, expect, it } from 'vitest';
import { checkLine } from '../../../src/results/validate.js';

const reason = (line: string): string => {
  const r = checkLine(line);
  if (r.ok) throw new Error(`expected malformed: ${line}`);
  return r.reason;
};

describe('checkLine', () => {
  it('accepts every event type of protocol v1 (examples from docs/architecture.md ("Result events"))', () => {
    for (const line of [
      '{"v":1,"type":"attempt","suite":"connectivity","from":"a","to":"b","path":"direct","ok":true,"rtt_ms":1.9}',
      '{"v":1,"type":"attempt","suite":"nat-traversal","from":"a","to":"c","path":"hole_punch","ok":false,"error":"timeout"}',
      '{"v":1,"type":"throughput","from":"a","to":"b","bytes":104857600,"seconds":10.0,"mbps":83.9}',
      '{"v":1,"type":"gossip","msg":"m1","origin":"a","node":"d","hops":2,"latency_ms":41}',
      '{"v":1,"type":"metric","node":"a","name":"peers_connected","value":9}',
    ]) {
      expect(checkLine(line).ok, line).toBe(true);
    }
  });
  it('allows unknown extra fields (newer agents)', () => {
    expect(checkLine('{"v":1,"type":"metric","node":"a","name":"x","value":-3,"unit":"ms"}').ok).toBe(true);
  });
  it('gives a short reason naming the problem', () => {
    expect(reason('hello')).toMatch(/^not JSON: /);
    expect(reason('[1,2]')).toBe('not a JSON object (array)');
    expect(reason('null')).toBe('not a JSON object (null)');
    expect(reason('{"type":"attempt"}')).toBe('unsupported protocol version v=missing (expected 1)');
    expect(reason('{"v":"1","type":"attempt"}')).toBe('unsupported protocol version v="1" (expected 1)');
    expect(reason('{"v":1,"type":"ping"}')).toMatch(/^unknown type "ping"/);
    expect(reason('{"v":1,"type":"attempt","suite":"c","from":"a","to":"b","path":"udp","ok":true}')).toBe('attempt.path is "udp", expected direct | hole_punch | relay');
    expect(reason('{"v":1,"type":"attempt","suite":"c","from":"","to":"b","path":"direct","ok":true}')).toBe('attempt.from is "", expected a non-empty string');
    expect(reason('{"v":1,"type":"attempt","suite":"c","from":"a","to":"b","path":"direct","ok":"yes"}')).toBe('attempt.ok is "yes", expected true or false');
    expect(reason('{"v":1,"type":"attempt","suite":"c","from":"a","to":"b","path":"direct","ok":true,"rtt_ms":-1}')).toBe('attempt.rtt_ms is -1, expected a number >= 0');
    expect(reason('{"v":1,"type":"gossip","msg":"m","origin":"a","node":"b","hops":1.5,"latency_ms":3}')).toBe('gossip.hops is 1.5, expected an integer >= 0');
    expect(reason('{"v":1,"type":"throughput","from":"a","to":"b","bytes":1,"seconds":1}')).toBe('throughput.mbps is missing, expected a number >= 0');
  });
  it('clips long values in reasons', () => {
    expect(reason(`{"v":1,"type":"${'x'.repeat(500)}"}`).length).toBeLessThan(120);
  });
});
