// The checked-in JSON Schema matches the zod schema, accepts every example, and rejects the
// schema-level bad corpus (semantic problems such as unknown node references need the loader).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderJsonSchema } from '../../../scripts/json-schema.js';

const checkedIn = readFileSync('schema/vps-test.schema.json', 'utf8');
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('uri', /^https?:\/\//);
const validate = ajv.compile(JSON.parse(checkedIn));

describe('JSON Schema', () => {
  it('is up to date with src/config/schema.ts', () => {
    expect(checkedIn).toBe(renderJsonSchema());
  });

  it.each(readdirSync('examples').filter((f) => f.endsWith('.yml')))('accepts examples/%s', (file) => {
    const data = parse(readFileSync(join('examples', file), 'utf8'));
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  const badDir = 'test/fixtures/configs/bad/schema';
  it.each(readdirSync(badDir))('rejects %s', (file) => {
    const text = readFileSync(join(badDir, file), 'utf8');
    let data: unknown;
    try {
      data = parse(text);
    } catch {
      return; // YAML syntax errors never reach a schema: the editor's YAML parser reports them
    }
    expect(validate(data)).toBe(false);
  });
});
