// Errors from the DigitalOcean API, worded for the person who has to fix them. Messages never
// contain the token (it is only ever in the Authorization header, which is never printed).
export class DigitalOceanError extends Error {
  override name = 'DigitalOceanError';
  constructor(
    message: string,
    readonly status: number,
    readonly operation: string,
    readonly apiId?: string,
  ) {
    super(message);
  }
}

export interface ApiErrorBody {
  id?: string;
  message?: string;
}

/** Message for a failed call; 401/403 name the token and its scopes, the rest quote the API. */
export function describeApiError(operation: string, status: number, body: ApiErrorBody | undefined, scope?: string): string {
  const said = body?.message ? `: ${body.message}` : '';
  if (status === 401) {
    return `DigitalOcean refused the token in DIGITALOCEAN_TOKEN (401 on ${operation}${said}); create a token at https://cloud.digitalocean.com/account/api/tokens and export it`;
  }
  if (status === 403) {
    return `the token in DIGITALOCEAN_TOKEN may not do ${operation} (403${said}); give it the scopes ${scope ?? 'droplet:create, droplet:read, droplet:delete, ssh_key:create, ssh_key:read, ssh_key:delete, tag:create, tag:read, regions:read, sizes:read, account:read'}`;
  }
  if (status === 429) return `DigitalOcean rate limit hit on ${operation} and retries ran out (429${said}); wait a minute and run again`;
  return `DigitalOcean ${operation} failed (${status}${said})`;
}
