// npm run fake:digitalocean -- --port N [--no-machines] [--droplet-limit K] [--unreachable NAME]
// Starts the fake DigitalOcean API on its own and prints its base URL and token; point
// DIGITALOCEAN_API_URL and DIGITALOCEAN_TOKEN at them. Ctrl-C stops it and removes every
// droplet machine it made. Faults can be changed while it runs: POST /_fake/faults.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LabMachines } from './machines.js';
import { FakeDigitalOcean, NoMachines } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
    'no-machines': { type: 'boolean', default: false },
    'droplet-limit': { type: 'string' },
    unreachable: { type: 'string' },
  },
});

const machines = values['no-machines'] ? new NoMachines() : await LabMachines.start({ root: mkdtempSync(join(tmpdir(), 'vps-test-fake-do-')) });
const fake = new FakeDigitalOcean({
  machines,
  ...(values.token ? { token: values.token } : {}),
  faults: {
    ...(values['droplet-limit'] ? { dropletLimit: Number(values['droplet-limit']) } : {}),
    ...(values.unreachable ? { unreachableName: values.unreachable } : {}),
  },
});
const url = await fake.start(Number(values.port), values.host);
console.log(`fake DigitalOcean listening on ${url} (${values['no-machines'] ? 'no machines' : 'droplets are lab machines'})`);
console.log(`export DIGITALOCEAN_API_URL=${url} DIGITALOCEAN_TOKEN=${fake.token}`);
const stop = async () => {
  await fake.close();
  process.exit(fake.violations.length > 0 ? 1 : 0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
