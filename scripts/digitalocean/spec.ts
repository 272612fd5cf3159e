// The part of DigitalOcean's official OpenAPI description that vps-test uses, dereferenced and
// repaired so that openapi-typescript emits types that compile and Ajv compiles validators.
// Shared by the type generator (scripts/digitalocean/generate-types.ts) and the fake server
// (test/fakes/digitalocean). See docs/architecture.md, "DigitalOcean".
//
// Repairs (each is a construct strict tools reject in the file as shipped):
//  1. `nullable: true` without a `type`: dropped (Ajv refuses it; it only widens, and a
//     schema without a type already accepts null).
//  2. `properties: { $ref: ... }` (a schema where a properties map belongs): the $ref is
//     lifted to the schema itself via allOf, so the map no longer declares a property "$ref".
//  3. `discriminator` whose `mapping` points at files not in the bundle
//     (e.g. `models/droplet_actions.yml`): the discriminator is removed (oneOf still validates).
//  4. regular expressions invalid under the `u` flag: kept, Ajv runs with unicodeRegExp: false.
//  5. `$ref` cycles (none on the paths we use today): replaced by `{}` with a description.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SPEC_NAME = 'digitalocean-openapi.v2.json';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The operations vps-test calls, by path and method. */
export const USED_OPERATIONS: Record<string, string[]> = {
  '/v2/account': ['get'],
  '/v2/account/keys': ['get', 'post'],
  '/v2/account/keys/{ssh_key_identifier}': ['get', 'delete'],
  '/v2/droplets': ['get', 'post', 'delete'],
  '/v2/droplets/{droplet_id}': ['get', 'delete'],
  '/v2/regions': ['get'],
  '/v2/sizes': ['get'],
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/**
 * VPS_TEST_DO_SPEC, else the copy of DigitalOcean's official description kept in the repository
 * (test/fakes/digitalocean/, so a fresh clone needs nothing beside it), else shared/specs/ next to
 * the checkout.
 */
export function specPath(): string {
  if (process.env.VPS_TEST_DO_SPEC) return process.env.VPS_TEST_DO_SPEC;
  const candidates = [path.resolve(REPO_ROOT, 'test/fakes/digitalocean', SPEC_NAME), path.resolve(REPO_ROOT, '../shared/specs', SPEC_NAME), path.resolve(REPO_ROOT, '../../shared/specs', SPEC_NAME)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`DigitalOcean's OpenAPI description not found (looked at ${candidates.join(', ')}); set VPS_TEST_DO_SPEC`);
  return found;
}

export function loadSpec(file = specPath()): JsonObject {
  return JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
}

function pointer(doc: Json, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`spec: external $ref not supported: ${ref}`);
  let node: Json = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) throw new Error(`spec: $ref ${ref} points nowhere`);
    node = (node as JsonObject)[key] as Json;
  }
  return node;
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Inline every $ref (JSON pointers into the same document), applying the repairs above. */
export function dereference(doc: Json, node: Json, stack: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => dereference(doc, n, stack));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const ref = node.$ref;
    if (stack.includes(ref)) return { description: `(recursive reference to ${ref} cut)` };
    return dereference(doc, pointer(doc, ref), [...stack, ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'discriminator' && isObject(value) && isObject(value.mapping)) continue; // repair 3
    if (key === 'properties' && isObject(value) && typeof value.$ref === 'string') {
      // repair 2: `properties: {$ref}` means "these properties"; lift it below
      const lifted = dereference(doc, { $ref: value.$ref }, stack);
      if (isObject(lifted) && isObject(lifted.properties)) out.properties = lifted.properties;
      continue;
    }
    if (key === 'examples' || key === 'example' || key === 'x-codeSamples') continue; // bulk, never validated
    out[key] = dereference(doc, value, stack);
  }
  if (out.nullable === true && out.type === undefined) delete out.nullable; // repair 1
  return out;
}

/** An OpenAPI document with only the operations we use, fully dereferenced. */
export function usedSubset(spec: JsonObject = loadSpec()): JsonObject {
  const paths: JsonObject = {};
  const all = spec.paths as JsonObject;
  for (const [p, methods] of Object.entries(USED_OPERATIONS)) {
    const item = all[p];
    if (!isObject(item)) throw new Error(`spec: path ${p} is missing`);
    const kept: JsonObject = {};
    for (const m of methods) {
      if (!isObject(item[m])) throw new Error(`spec: ${m.toUpperCase()} ${p} is missing`);
      kept[m] = dereference(spec, item[m] as Json);
    }
    if (item.parameters) kept.parameters = dereference(spec, item.parameters);
    paths[p] = kept;
  }
  return {
    openapi: spec.openapi as Json,
    info: spec.info as Json,
    servers: spec.servers as Json,
    paths,
    components: { securitySchemes: ((spec.components as JsonObject | undefined)?.securitySchemes ?? {}) as Json },
  };
}
