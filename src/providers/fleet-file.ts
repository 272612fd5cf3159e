// <runDir>/fleet.json: the Fleet a provider made, for every later stage and command (nodes,
// diagnose, down, a resumed run). It names the client key by path, never holds key material.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Fleet } from './types.js';

export const FLEET_FILE = 'fleet.json';

export async function writeFleet(runDir: string, fleet: Fleet): Promise<string> {
  const file = path.join(runDir, FLEET_FILE);
  await mkdir(runDir, { recursive: true });
  // Fleet holds the key's path, never its contents; spell the fields out so nothing else slips in.
  const record: Fleet = {
    runId: fleet.runId,
    provider: fleet.provider,
    nodes: fleet.nodes,
    clientKeyPath: fleet.clientKeyPath,
    ...(fleet.clientKeyFingerprint ? { clientKeyFingerprint: fleet.clientKeyFingerprint } : {}),
    ...(fleet.controllerIp ? { controllerIp: fleet.controllerIp } : {}),
  };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

export async function readFleet(runDir: string): Promise<Fleet> {
  const file = path.join(runDir, FLEET_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`no fleet recorded for this run: ${file} does not exist (was it provisioned?)`);
  }
  const fleet = JSON.parse(text) as Fleet;
  if (!fleet || typeof fleet.runId !== 'string' || !Array.isArray(fleet.nodes)) throw new Error(`${file} is not a fleet record`);
  return fleet;
}

