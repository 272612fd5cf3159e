// The config's JSON Schema, generated from the zod schema (the truth) so editors can
// autocomplete .vps-test.yml. Scenario steps are dispatched by key in zod, so their schema is
// assembled here from the per-step schemas.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { STEP_SCHEMAS } from '../src/config/scenario.js';

/** github.com/<owner>/<name> from package.json's repository (the one source of our slug). */
function repositoryUrl(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { repository?: { url?: string } };
  const m = /github\.com\/([^/]+\/[^/.]+)/.exec(pkg.repository?.url ?? '');
  if (!m) throw new Error('package.json has no github.com repository url');
  return `https://github.com/${m[1]}`;
}

export function renderJsonSchema(): string {
  const steps = Object.entries(STEP_SCHEMAS).map(([kind, schema]) => ({
    type: 'object',
    properties: { [kind]: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) },
    required: [kind],
    additionalProperties: false,
  }));
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const s = ctx.jsonSchema as Record<string, unknown>;
      const props = s.properties as Record<string, Record<string, unknown>> | undefined;
      // kind: prebuilt needs the prebuilt block (a zod refine, which JSON Schema can't derive)
      const kind = props?.kind as { enum?: string[] } | undefined;
      if (props?.prebuilt && kind?.enum?.includes('prebuilt')) {
        s.if = { properties: { kind: { const: 'prebuilt' } }, required: ['kind'] };
        s.then = { required: ['prebuilt'] };
      }
      if (props?.steps && s.required && (s.required as string[]).includes('steps')) {
        props.steps = { ...props.steps, items: { oneOf: steps.map(stripSchemaKey) } };
      }
    },
  }) as Record<string, unknown>;
  const out = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${repositoryUrl()}/schema/vps-test.schema.json`,
    title: '.vps-test.yml',
    description: 'vps-test configuration: build, fleet, service, tests, soak, report. Generated from src/config/schema.ts.',
    ...stripSchemaKey(schema),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function stripSchemaKey<T extends Record<string, unknown>>(s: T): T {
  const { $schema: _ignored, ...rest } = s;
  return rest as T;
}
