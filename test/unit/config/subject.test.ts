// The subject section: a config whose subject cannot serve a planned suite is refused at load
// (and at plan time for a focus), with the place named; templates' placeholders are checked.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { buildPlan, PlanError } from '../../../src/plan/plan.js';
import type { Choices } from '../../../src/plan/types.js';

const FLEET = `fleet:
  nodes:
    - { name: boot, role: bootstrap }
    - { name: a, nat: symmetric }
`;
const CARGO = `build: { kind: cargo, package: mine }\n${FLEET}`;
const choices: Choices = { project: 'p', focus: 'full-suite', criteria: 'threshold', proof: 'logs' };

function problems(text: string): string[] {
  try {
    parseConfig(text, 'c.yml');
    return [];
  } catch (err) {
    return (err as { problems: { path: string; message: string; line: number }[] }).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
  }
}

describe('subject config', () => {
  it('refuses your own program with no driver before anything is built, naming where', () => {
    expect(problems(`${CARGO}tests:\n  connectivity: {}\n`)).toEqual([
      expect.stringMatching(/^7: tests\.connectivity: suite connectivity: build\.kind cargo is your own program; say how the suites reach it with subject: \{ driver: command/),
    ]);
    // no tests at all still plans connectivity: refused too
    expect(problems(CARGO)[0]).toMatch(/build\.kind: suite connectivity: build\.kind cargo is your own program/);
  });

  it('refuses a driver that cannot serve a configured suite', () => {
    const p = problems(`${CARGO}subject:\n  driver: command\n  connect: { run: "{bin} connect {peer.ip}" }\ntests:\n  connectivity: {}\n  throughput: {}\n  gossip: {}\n`);
    expect(p).toEqual([
      expect.stringMatching(/tests\.throughput: suite throughput needs subject\.throughput\.run/),
      expect.stringMatching(/tests\.gossip: suite gossip needs subject\.gossip\.publish and subject\.gossip\.received/),
    ]);
    expect(problems(`${CARGO}subject: { driver: events }\ntests:\n  connectivity: {}\n`)[0]).toMatch(/suite connectivity needs subject\.events\.run/);
    expect(problems(`${CARGO}subject: { driver: agent }\n`)[0]).toMatch(/subject\.driver: driver agent runs the reference agent's CLI, but build\.kind is cargo/);
  });

  it('checks each template\'s placeholders, with the ones that template may use', () => {
    const p = problems(`${CARGO}subject:\n  driver: command\n  connect: { run: "{bin} connect {peer.addr} --round {round} {node:ghost.ip}" }\n  gossip: { publish: "{bin} pub {msg} {round}", received: "got {msg}" }\nservice: { command: "{bin} serve" }\ntests:\n  connectivity: {}\n  gossip: {}\n`);
    expect(p).toEqual([
      expect.stringMatching(/subject\.connect\.run: unknown placeholder \{peer\.addr\}; allowed: .*\{peer\.name\}, \{peer\.ip\}, \{peer\.private_ip\}, \{round\}, \{timeout_ms\}/),
      expect.stringMatching(/subject\.connect\.run: \{node:ghost\.ip\} names node 'ghost', which is not in fleet\.nodes/),
      expect.stringMatching(/subject\.gossip\.publish: unknown placeholder \{round\}/),
    ]);
  });

  it('refuses a bad success pattern at load', () => {
    expect(problems(`${CARGO}subject:\n  driver: command\n  connect: { run: "x", success: { stdout: "(" } }\n`)[0]).toMatch(/subject\.connect\.success\.stdout: not a valid regular expression/);
  });

  it('puts the subject, its templates and every suite parameter into the plan', () => {
    const c = parseConfig(`${CARGO}subject:\n  driver: command\n  connect: { run: "{bin} c {peer.ip}", success: { stdout: ok }, within: 4s }\n  malformed_lines: 2\ntests:\n  connectivity: { trials: 3, timeout: 2s, min_attempts: 30, dead_class: fail }\n`, 'c.yml');
    const plan = buildPlan(c, choices);
    expect(plan.subject).toEqual({ driver: 'command', connect: { run: '{bin} c {peer.ip}', exit: 0, stdout: 'ok', withinMs: 4000 } });
    expect(plan.suites[0]).toMatchObject({ name: 'connectivity', trials: 3, timeoutMs: 2000 });
    expect(plan.minAttempts).toBe(30); // never capped at the default 10
    expect(plan.deadClass).toBe('fail');
    expect(plan.malformedTolerance).toBe(2);
  });

  it('refuses at plan time a focus on a suite the subject cannot serve', () => {
    const c = parseConfig(`${CARGO}subject:\n  driver: command\n  connect: { run: "{bin} c {peer.ip}" }\n`, 'c.yml');
    expect(() => buildPlan(c, { ...choices, focus: 'gossip' })).toThrow(PlanError);
    expect(() => buildPlan(c, { ...choices, focus: 'gossip' })).toThrow(/suite gossip needs subject\.gossip.*nothing was built or provisioned/);
  });

  it('plans the agent driver by default, and the gossip duration from the config', () => {
    const plan = buildPlan(parseConfig(`${FLEET}tests:\n  gossip: { duration: 2s, fanout: 2 }\n`, 'c.yml'), choices);
    expect(plan.subject).toEqual({ driver: 'agent', port: 9000, relay: true });
    expect(plan.gossip).toMatchObject({ origins: ['boot', 'a'], fanout: 2, durationMs: 2000 });
  });
});

describe('keys that would be accepted and ignored are refused', () => {
  it('names each build key its kind does not use', () => {
    expect(problems(`build: { kind: cargo, flags: [-O], zig: { version: 0.12.0 } }\n${FLEET}subject: { driver: command, connect: { run: x } }\n`)).toEqual([
      expect.stringMatching(/build\.flags: build\.flags is passed to kind c .* kind cargo does not use it/),
      expect.stringMatching(/build\.zig: build\.zig\.version is not honoured by this version/),
    ]);
    expect(problems(`build: { kind: go, source: cmd/ }\n${FLEET}subject: { driver: command, connect: { run: x } }\n`)[0]).toMatch(/build\.source: kind go builds build\.package/);
    expect(problems(`build: { kind: agent, targets: [x86_64-linux-musl] }\n${FLEET}`)[0]).toMatch(/build\.targets: kind agent builds one target per node arch/);
  });

  it('resolves report.journal against the config file\'s directory', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig } = await import('../../../src/config/load.js');
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    writeFileSync(join(dir, 'c.yml'), `${FLEET}report: { journal: docs/JOURNAL.md }\n`);
    expect((await loadConfig(join(dir, 'c.yml'))).config.report.journal).toBe(join(dir, 'docs', 'JOURNAL.md'));
  });
});
