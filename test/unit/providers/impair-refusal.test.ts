// impair: on a real machine is applied by the NAT recipe (between the machine and the node's
// namespace). A public droplet or inventory host has no such link: refused when the config is
// read (validate, plan, run), naming the node and the way out; never accepted and ignored.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/config/errors.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKeyHost';
const config = (provider: string, node: string) => `project: x
fleet:
  provider: ${provider}
  nodes:
    - { name: boot, role: bootstrap${provider === 'inventory' ? `, host: 192.0.2.1, host_key: "${KEY}"` : ''} }
    - ${node}
`;
const problems = (text: string) => {
  try {
    parseConfig(text, 'x.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
};

describe('impair on cloud and inventory nodes', () => {
  it('a public droplet with impair is refused, naming it', () => {
    expect(problems(config('digitalocean', '{ name: tokyo, region: sgp1, impair: { delay: 120ms } }'))).toEqual([
      "fleet.nodes[1].impair: node 'tokyo': impair on a public droplet is not implemented (on digitalocean impairments are applied behind a NAT); give the node a nat: type or drop impair",
    ]);
  });

  it('a public inventory host with impair is refused too', () => {
    expect(problems(config('inventory', `{ name: far, host: 192.0.2.2, host_key: "${KEY}", impair: { loss: 1% } }`))).toEqual([
      "fleet.nodes[1].impair: node 'far': impair on a public inventory host is not implemented (on inventory impairments are applied behind a NAT); give the node a nat: type or drop impair",
    ]);
  });

  it('behind a NAT (droplet or host) and on the lab, impair is accepted', () => {
    expect(problems(config('digitalocean', '{ name: cone, nat: full-cone, impair: { delay: 50ms, loss: 1% } }'))).toEqual([]);
    expect(problems(config('inventory', `{ name: far, host: 192.0.2.2, host_key: "${KEY}", nat: symmetric, impair: { loss: 1% } }`))).toEqual([]);
    expect(problems(config('local', '{ name: pub, impair: { delay: 50ms } }'))).toEqual([]);
  });
});
