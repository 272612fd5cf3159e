import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PID_MARKER, renderKillScript, takePidLine, wrapCommand } from '../../../src/ssh/wrap.js';

describe('wrapCommand', () => {
  it('prints the pid first, then runs the command through sh (really, in a local sh)', () => {
    const out = execFileSync('/bin/sh', ['-c', wrapCommand("echo \"it's $((1+1))\"", { prefix: [] })], { encoding: 'utf8' });
    const found = takePidLine(out);
    expect(found?.pid).toBeGreaterThan(1);
    expect(found?.rest).toBe("it's 2\n");
  });

  it('puts the prefix (quoted) in front of sh, and a remote timeout backstop when asked', () => {
    const w = wrapCommand('true', { prefix: ['ip', 'netns', 'exec', 'vt1-a b'], backstopSeconds: 12.2 });
    expect(w).toContain("ip netns exec 'vt1-a b' /bin/sh -c true");
    expect(w).toContain('timeout -k 5 13 ');
  });

  it('the backstop kills a command that outlives it', () => {
    const r = spawnSync('/bin/sh', ['-c', wrapCommand('sleep 30', { prefix: [], backstopSeconds: 1 })], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(124); // timeout(1)'s "timed out"
  });
});

describe('takePidLine', () => {
  it('waits for the whole line, keeps output around it', () => {
    expect(takePidLine(`${PID_MARKER}12`)).toBeUndefined();
    expect(takePidLine(`motd\n${PID_MARKER}123\nhello`)).toEqual({ pid: 123, before: 'motd\n', rest: 'hello' });
  });
});

describe('renderKillScript', () => {
  it('refuses pids that would hit everything', () => {
    expect(() => renderKillScript(0)).toThrow();
    expect(() => renderKillScript(1)).toThrow();
    expect(() => renderKillScript(-5)).toThrow();
  });
});
