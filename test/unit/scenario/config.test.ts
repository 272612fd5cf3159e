import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/errors.js';

const base = (steps: string) => `
fleet:
  nodes: [{ name: a }, { name: b }]
service: { command: "{bin} serve" }
tests:
  scenarios:
    s:
      steps:
${steps}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'x.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('scenario steps in the config', () => {
  it('accepts every step kind', () => {
    expect(
      problems(
        base(`        - mark: before
        - capture: { on: b, cmd: "{bin} id", regex: "id=(\\\\w+)", as: b_id }
        - run: { on: a, cmd: "{bin} exec {var:b_id}", peer: b, protocol: tcp, expect: { exit: 0, within: 5s } }
        - background: { on: all, cmd: "{bin} worker", name: worker, ready: { tcp: 7000 } }
        - kill: { on: b, name: worker }
        - restart: { on: b, name: worker }
        - partition: { groups: [[a], [b]], protocol: udp }
        - heal: {}
        - wait: 1s
        - http: { on: a, url: "http://{node:b.ip}:8080/", expect: { status: 200, json: { path: ok, equals: true } } }
        - log_count: { on: a, pattern: "Creating connection", since: before, expect: { max: 1 } }`),
      ),
    ).toEqual([]);
  });

  it('refuses a peer that is the caller itself, an unknown process, an unknown mark and an unbounded count', () => {
    expect(
      problems(
        base(`        - run: { on: a, cmd: x, peer: a }
        - kill: { on: a, name: worker }
        - log_count: { on: a, pattern: x, since: later, expect: { min: 1 } }
        - log_count: { on: a, pattern: x, expect: {} }`),
      ),
    ).toEqual([
      'tests.scenarios.s.steps[3].log_count.expect: log_count.expect needs min, max or eq',
    ]);
    expect(
      problems(
        base(`        - run: { on: a, cmd: x, peer: a }
        - kill: { on: a, name: worker }
        - log_count: { on: a, pattern: x, since: later, expect: { min: 1 } }`),
      ),
    ).toEqual([
      "tests.scenarios.s.steps[0].run.peer: peer 'a' is the node the command runs on: a command meant to reach another machine would only reach itself",
      "tests.scenarios.s.steps[1].kill.name: 'worker' is neither the service nor a background process started by an earlier step (known: service)",
      "tests.scenarios.s.steps[2].log_count.since: mark 'later' is not set by an earlier mark step",
    ]);
  });
});
