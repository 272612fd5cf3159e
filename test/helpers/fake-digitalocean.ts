// One fake DigitalOcean whose droplets are lab machines (real namespaces with sshd), in a
// temporary folder, for a test file's beforeAll/afterAll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabMachines } from '../fakes/digitalocean/machines.js';
import { FakeDigitalOcean } from '../fakes/digitalocean/server.js';

export interface FakeCloud {
  work: string;
  fake: FakeDigitalOcean;
  machines: LabMachines;
}

export async function startFakeCloud(prefix: string): Promise<FakeCloud> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const machines = await LabMachines.start({ root: join(work, 'machines') });
  const fake = new FakeDigitalOcean({ machines });
  await fake.start();
  return { work, fake, machines };
}

/** Closes the fake (which destroys its droplets' machines) and removes the folder. */
export async function stopFakeCloud(cloud: Partial<FakeCloud>): Promise<void> {
  await cloud.fake?.close();
  if (cloud.work) rmSync(cloud.work, { recursive: true, force: true });
}
