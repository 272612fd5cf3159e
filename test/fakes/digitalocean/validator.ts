// Every request the fake DigitalOcean receives and every response it sends, validated against
// the official OpenAPI description (the used subset, dereferenced; repairs documented in
// scripts/digitalocean/spec.ts). Validators are compiled per operation on first use.
import { Ajv, type ValidateFunction } from 'ajv';
import { usedSubset } from '../../../scripts/digitalocean/spec.js';

type Schema = Record<string, unknown>;
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export class SpecViolation extends Error {
  override name = 'SpecViolation';
}

function newAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true, coerceTypes: coerce ? 'array' : false });
  // Formats DO uses that Ajv does not know; each is checked loosely or not at all (spec README).
  for (const f of ['uint32', 'uint64', 'cidr', 'rfc5424', 'rfc3164', 'uri', 'uuid', 'email', 'hostname', 'ipv4', 'ipv6', 'int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'date']) ajv.addFormat(f, true);
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv;
}

export class SpecValidator {
  private readonly doc = usedSubset() as unknown as { paths: Record<string, Record<string, Operation>> };
  private readonly bodies = newAjv(false);
  private readonly params = newAjv(true);
  private readonly cache = new Map<string, ValidateFunction>();
  /** Paths as regular expressions, most specific first. */
  private readonly routes = Object.keys(this.doc.paths).map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
    names: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
  }));

  /** The operation for a request, with its path parameters; undefined = not a path we know. */
  match(method: string, pathname: string): { template: string; operation: Operation; pathParams: Record<string, string> } | undefined {
    for (const r of this.routes) {
      const m = r.re.exec(pathname);
      if (!m) continue;
      const operation = this.doc.paths[r.template]?.[method.toLowerCase()];
      if (!operation) return undefined;
      return { template: r.template, operation, pathParams: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)])) };
    }
    return undefined;
  }

  private compiled(key: string, ajv: Ajv, schema: () => Schema): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) {
      v = ajv.compile(schema());
      this.cache.set(key, v);
    }
    return v;
  }

  private check(v: ValidateFunction, data: unknown, what: string): void {
    if (v(data)) return;
    const errors = (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new SpecViolation(`${what} violates DigitalOcean's OpenAPI description: ${errors.join('; ')}`);
  }

  private paramSchema(op: Operation, where: 'query' | 'path'): Schema {
    const ps = (op.parameters ?? []).filter((p) => p.in === where);
    return {
      type: 'object',
      properties: Object.fromEntries(ps.map((p) => [p.name, p.schema ?? {}])),
      required: ps.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    };
  }

  /** Throws SpecViolation naming the operation and the offending field. */
  validateRequest(op: Operation, query: Record<string, string>, pathParams: Record<string, string>, body: unknown): void {
    const id = op.operationId;
    this.check(this.compiled(`${id}:query`, this.params, () => this.paramSchema(op, 'query')), { ...query }, `request ${id}: query`);
    this.check(this.compiled(`${id}:path`, this.params, () => this.paramSchema(op, 'path')), { ...pathParams }, `request ${id}: path`);
    const schema = op.requestBody?.content?.['application/json']?.schema;
    if (schema) {
      if (body === undefined && op.requestBody?.required) throw new SpecViolation(`request ${id}: a JSON body is required`);
      if (body !== undefined) this.check(this.compiled(`${id}:body`, this.bodies, () => schema), body, `request ${id}: body`);
    } else if (body !== undefined) {
      throw new SpecViolation(`request ${id}: takes no body`);
    }
  }

  validateResponse(op: Operation, status: number, body: unknown): void {
    const id = op.operationId;
    const response = op.responses[String(status)] ?? op.responses.default;
    if (!response) throw new SpecViolation(`response ${id}: status ${status} is not described`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) {
      if (body !== undefined) throw new SpecViolation(`response ${id} ${status}: described without a body, sent one`);
      return;
    }
    this.check(this.compiled(`${id}:${status}`, this.bodies, () => schema), body, `response ${id} ${status}`);
  }
}
