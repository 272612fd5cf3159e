// Validates requests and responses of the fake GitHub server against GitHub's own REST
// description (the subset of operations we use, /work/shared/specs/github-rest.subset.json,
// taken from @octokit/openapi). Ajv 8 with strict: false, as the spec README says.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

export const SPEC_PATH = process.env.VPS_TEST_GITHUB_SPEC ?? '/work/shared/specs/github-rest.subset.json';

interface Operation {
  operationId: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Record<string, unknown>;
}

export interface MatchedOperation {
  operationId: string;
  template: string;
  params: Record<string, string>;
  operation: Operation;
}

/** Statuses GitHub's REST docs say any operation may return, though few operations declare them. */
const GENERIC_ERRORS = new Set([401, 403, 404]);

type Spec = { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

export class GitHubSpec {
  private readonly spec: Spec;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; regex: RegExp; names: string[]; operation: Operation }[] = [];

  constructor(path = SPEC_PATH) {
    this.spec = JSON.parse(readFileSync(path, 'utf8')) as Spec;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, validateFormats: false });
    this.ajv.addSchema(rebase(this.spec) as object, 'gh');
    for (const [template, ops] of Object.entries(this.spec.paths)) {
      for (const [method, operation] of Object.entries(ops)) {
        if (!operation?.operationId) continue;
        const names: string[] = [];
        // {path} of the contents API holds slashes; every other parameter is one segment.
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => {
          names.push(name);
          return name === 'path' ? '(.+)' : '([^/]+)';
        });
        this.routes.push({ method: method.toUpperCase(), template, regex: new RegExp(`^${source}$`), names, operation });
      }
    }
  }

  match(method: string, pathname: string): MatchedOperation | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] as string)));
      return { operationId: r.operation.operationId, template: r.template, params, operation: r.operation };
    }
    return undefined;
  }

  private deref<T>(node: unknown): T {
    let cur = node as { $ref?: string };
    while (cur && typeof cur.$ref === 'string') {
      const parts = cur.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
      cur = parts.reduce<unknown>((acc, p) => (acc as Record<string, unknown>)[p], this.spec) as { $ref?: string };
    }
    return cur as T;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let v = this.cache.get(key);
    if (!v) {
      v = this.ajv.compile(rebase(schema) as object);
      this.cache.set(key, v);
    }
    return v;
  }

  /** Problems with a request: unknown parameters' types, missing required ones, a body that breaks the schema. */
  checkRequest(op: MatchedOperation, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const problems: string[] = [];
    for (const raw of op.operation.parameters ?? []) {
      const p = this.deref<Parameter>(raw);
      const value = p.in === 'path' ? op.params[p.name] : p.in === 'query' ? query.get(p.name) ?? undefined : undefined;
      if (p.in === 'header') continue;
      if (value === undefined) {
        if (p.required) problems.push(`${op.operationId}: missing required ${p.in} parameter ${p.name}`);
        continue;
      }
      if (p.schema?.type === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${op.operationId}: ${p.in} parameter ${p.name}=${value} is not an integer`);
      const allowed = p.schema?.enum as unknown[] | undefined;
      if (allowed && !allowed.includes(value)) problems.push(`${op.operationId}: ${p.name}=${value} not one of ${allowed.join(', ')}`);
    }
    const rb = op.operation.requestBody ? this.deref<{ required?: boolean; content?: Record<string, { schema: unknown }> }>(op.operation.requestBody) : undefined;
    if (rb?.required && !hasBody) problems.push(`${op.operationId}: request body required`);
    const schema = rb?.content?.['application/json']?.schema;
    if (schema && hasBody) {
      const v = this.validator(`${op.operationId}:request`, schema);
      if (!v(body)) problems.push(`${op.operationId} request: ${this.ajv.errorsText(v.errors)}`);
    }
    if (!rb && hasBody) problems.push(`${op.operationId}: takes no request body`);
    return problems;
  }

  /** Problems with a response: a status the operation does not declare, a body that breaks its schema. */
  checkResponse(op: MatchedOperation, status: number, body: unknown): string[] {
    const declared = op.operation.responses[String(status)];
    if (!declared && GENERIC_ERRORS.has(status)) {
      // Any endpoint may answer these (no token, no access, integration not permitted), with a basic-error body.
      const v = this.validator('basic-error', { $ref: '#/components/schemas/basic-error' });
      return v(body) ? [] : [`${op.operationId} ${status} response: ${this.ajv.errorsText(v.errors)}`];
    }
    if (!declared) return [`${op.operationId}: status ${status} is not declared (declared: ${Object.keys(op.operation.responses).join(', ')})`];
    const res = this.deref<{ content?: Record<string, { schema: unknown }> }>(declared);
    const schema = res.content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`${op.operationId} ${status}: declares no body but one was sent`];
    const v = this.validator(`${op.operationId}:${status}`, schema);
    return v(body) ? [] : [`${op.operationId} ${status} response: ${this.ajv.errorsText(v.errors)}`];
  }
}

/**
 * Points local refs (#/components/...) at the whole spec registered as "gh", and applies the
 * one repair GitHub's description needs: its `oneOf` alternatives overlap (basic-error and
 * repository-rule-violation-error have only optional fields, so every error body matches both),
 * which makes any real response fail `oneOf`; they are checked as `anyOf`.
 */
function rebase(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k === 'oneOf' ? 'anyOf' : k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `gh${v}` : rebase(v);
    return out;
  }
  return node;
}
