import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseStatus,
  parseSystemdStatus,
  renderStartScript,
  renderStopScript,
  renderSupervisor,
  renderUnit,
  systemdQuote,
} from '../../../src/deploy/service-render.js';
import { parseHttpUrl, servicePaths, validateSpec, type ServiceSpec } from '../../../src/deploy/service-spec.js';

const spec: ServiceSpec = { name: 'agent', command: '/w/bin/agent --listen 0.0.0.0:9000', env: { RUST_LOG: "debug,it's" }, maxRestarts: 3 };
const paths = servicePaths('/w', 'agent');

describe('systemd unit', () => {
  const unit = renderUnit(spec, paths, '/w', ['ip', 'netns', 'exec', 'vt1-n1-host']);
  it('is hardened and writes only below the workdir', () => {
    for (const line of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/w', 'PrivateTmp=yes', 'Restart=on-failure']) {
      expect(unit.split('\n')).toContain(line);
    }
  });
  it('runs the command script under the node prefix and appends to the service log', () => {
    expect(unit).toContain('ExecStart="ip" "netns" "exec" "vt1-n1-host" "/bin/sh" "/w/run/agent.command.sh"');
    expect(unit).toContain('StandardOutput=append:/w/logs/agent.log');
    expect(unit).toContain(`Environment="RUST_LOG=debug,it's"`);
    expect(unit).toContain('StartLimitBurst=4');
  });
  it('passes systemd-analyze verify (where systemd is installed)', () => {
    const check = spawnSync('systemd-analyze', ['--version']);
    if (check.status !== 0) return console.log('systemd-analyze not installed: unit file not verified');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-unit-'));
    try {
      const work = path.join(dir, 'w');
      mkdirSync(path.join(work, 'run'), { recursive: true });
      const p = servicePaths(work, 'agent');
      writeFileSync(p.commandScript, 'true\n');
      const file = path.join(dir, p.unit);
      writeFileSync(file, renderUnit({ ...spec, env: { A: 'b c', P: '50%', D: '$HOME' } }, p, work, ['ip', 'netns', 'exec', 'vt1-h']));
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // and it does catch a broken unit
      writeFileSync(file, renderUnit(spec, p, work, ['relative/ip']));
      expect(spawnSync('systemd-analyze', ['verify', file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('quotes for systemd: quotes, backslashes, % and $', () => {
    expect(systemdQuote('a"b\\c%d$e')).toBe('"a\\"b\\\\c%%d$$e"');
  });
});

describe('supervisor and start scripts', () => {
  it('are valid POSIX sh', () => {
    for (const text of [renderSupervisor(spec, paths, '/w'), renderStartScript(spec, paths, '/w', ['ip', 'netns', 'exec', 'x']).join('\n')]) {
      const r = spawnSync('/bin/sh', ['-n', '-c', text], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
  it('supervisor exports the environment quoted and bounds restarts', () => {
    const text = renderSupervisor(spec, paths, '/w');
    expect(text).toContain(`export RUST_LOG='debug,it'\\''s'`);
    expect(text).toContain('if [ $n -ge 3 ]; then');
  });
});

describe('status parsing', () => {
  it('running supervisor with a live child', () => {
    expect(parseStatus('supervisor=100\nchild=101\nnow=1000\nstarted=990\nrestarts=2\nexited=\n')).toEqual({
      running: true,
      pid: 101,
      supervisorPid: 100,
      uptimeSeconds: 10,
      restarts: 2,
    });
  });
  it('a supervisor that gave up reports the exit code', () => {
    expect(parseStatus('supervisor=\nchild=\nnow=5\nstarted=\nrestarts=5\nexited=1\n')).toEqual({ running: false, restarts: 5, exitCode: 1 });
  });
  it('systemd properties', () => {
    const text = 'ActiveState=active\nMainPID=4242\nNRestarts=1\nExecMainStartTimestampMonotonic=5000000\nExecMainStatus=0\nuptime=65.50\n';
    expect(parseSystemdStatus(text)).toEqual({ running: true, pid: 4242, restarts: 1, uptimeSeconds: 61 });
    expect(parseSystemdStatus('ActiveState=failed\nMainPID=0\nNRestarts=5\nExecMainStatus=3\nuptime=1\n')).toEqual({ running: false, restarts: 5, exitCode: 3 });
  });
});

describe('spec validation', () => {
  it('accepts a good spec and rejects bad names, env, regexes, ports and URLs', () => {
    expect(validateSpec(spec, 'x')).toBe(spec);
    expect(() => validateSpec({ name: '../x', command: 'a' }, 'node "a"')).toThrow(/node "a": service name/);
    expect(() => validateSpec({ name: 'a', command: ' ' }, 'n')).toThrow(/empty command/);
    expect(() => validateSpec({ name: 'a', command: 'a', env: { 'A-B': '1' } }, 'n')).toThrow(/environment variable name "A-B"/);
    expect(() => validateSpec({ name: 'a', command: 'a', ready: { log: '(' } }, 'n')).toThrow(/ready.log is not a valid regular expression/);
    expect(() => validateSpec({ name: 'a', command: 'a', ready: { tcp: 70000 } }, 'n')).toThrow(/ready.tcp must be a port/);
    expect(() => validateSpec({ name: 'a', command: 'a', ready: { http: 'https://x/' } }, 'n')).toThrow(/only http:\/\//);
  });
  it('parses http targets', () => {
    expect(parseHttpUrl('http://127.0.0.1:8080/health?x=1', 'w')).toEqual({ host: '127.0.0.1', port: 8080, path: '/health?x=1' });
    expect(parseHttpUrl('http://[::1]/', 'w')).toEqual({ host: '::1', port: 80, path: '/' });
  });
});

describe('stop script', () => {
  it('is a no-op with parseable output when nothing was started', () => {
    const p = servicePaths('/nonexistent-vt-workdir', 'agent');
    const r = spawnSync('/bin/sh', ['-c', renderStopScript(p, 1000)], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('stopped=none\n');
  });
});
