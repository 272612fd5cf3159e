// The command driver's reading of one attempt: exit code, output patterns, named groups, time.
import { describe, expect, it } from 'vitest';
import { judgeAttempt } from '../../../src/subject/command.js';
import type { RunResult } from '../../../src/subject/run.js';

const connect = { run: 'x', exit: 0, stdout: 'connected(?: via (?<path>\\w+))?(?: in (?<rtt_ms>[\\d.]+) ms)?' };
const result = (over: Partial<RunResult>): RunResult => ({ code: 0, stdout: '', stderr: '', durationMs: 5, ...over });

describe('command driver: one attempt', () => {
  it('succeeds on the exit code and pattern, reading path and rtt from named groups', () => {
    expect(judgeAttempt(connect, result({ stdout: 'hello\nconnected via relay in 12.5 ms\n' }), 5000)).toEqual({ ok: true, path: 'relay', rtt: 12.5 });
    expect(judgeAttempt(connect, result({ stdout: 'connected\n' }), 5000)).toEqual({ ok: true });
    // a path word the protocol does not know is no claim: the evidence decides
    expect(judgeAttempt(connect, result({ stdout: 'connected via magic' }), 5000)).toEqual({ ok: true });
  });

  it('fails with the reason: exit code and stderr, a pattern that did not match, the time bound', () => {
    expect(judgeAttempt(connect, result({ code: 3, stderrTail: 'no route' }), 5000)).toEqual({ ok: false, error: 'exited 3: no route' });
    expect(judgeAttempt(connect, result({ stdout: 'trying\ngave up' }), 5000)).toEqual({ ok: false, error: 'stdout did not match /connected(?: via (?<path>\\w+))?(?: in (?<rtt_ms>[\\d.]+) ms)?/ (last line: gave up)' });
    expect(judgeAttempt(connect, result({ code: null, timedOut: true }), 5000)).toEqual({ ok: false, error: 'did not finish within 5000 ms' });
    expect(judgeAttempt({ run: 'x', exit: 0, stderr: 'ok' }, result({ stderr: 'nope' }), 5000).ok).toBe(false);
    expect(judgeAttempt(connect, result({ code: null, error: 'ssh: connection lost' }), 5000)).toEqual({ ok: false, error: 'could not run: ssh: connection lost' });
  });
});
