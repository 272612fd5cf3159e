// The DigitalOcean operations vps-test uses, typed by the generated description, each one
// unwrapped into data or a DigitalOceanError. Lists follow pagination.
import type { paths } from './api.generated.js';
import { collectPages, unwrap, type DoClient } from './client.js';
import { DigitalOceanError } from './errors.js';

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

export type Droplet = NonNullable<Json<'/v2/droplets/{droplet_id}', 'get', 200>['droplet']>;
export type SshKey = NonNullable<Json<'/v2/account/keys', 'get', 200>['ssh_keys']>[number];
export type Size = Json<'/v2/sizes', 'get', 200>['sizes'][number];
export type Region = Json<'/v2/regions', 'get', 200>['regions'][number];
export type Account = Json<'/v2/account', 'get', 200>['account'];

export interface CreateDropletsRequest {
  names: string[];
  region: string;
  size: string;
  image: string;
  sshKeys: number[];
  tags: string[];
  userData: string;
}

const PER_PAGE = 200;

export class DigitalOceanApi {
  constructor(readonly client: DoClient) {}

  private get api() {
    return this.client.api;
  }

  async account(): Promise<Account> {
    return unwrap('GET /v2/account', await this.api.GET('/v2/account')).account;
  }

  async sizes(): Promise<Size[]> {
    return collectPages(async (page) => {
      const d = unwrap('GET /v2/sizes', await this.api.GET('/v2/sizes', { params: { query: { per_page: PER_PAGE, page } } }));
      return { items: d.sizes, links: d.links };
    });
  }

  async regions(): Promise<Region[]> {
    return collectPages(async (page) => {
      const d = unwrap('GET /v2/regions', await this.api.GET('/v2/regions', { params: { query: { per_page: PER_PAGE, page } } }));
      return { items: d.regions, links: d.links };
    });
  }

  async createSshKey(name: string, publicKey: string): Promise<SshKey> {
    const d = unwrap('POST /v2/account/keys', await this.api.POST('/v2/account/keys', { body: { name, public_key: publicKey } }));
    if (!d.ssh_key) throw new DigitalOceanError('DigitalOcean POST /v2/account/keys answered without an ssh_key', 0, 'POST /v2/account/keys');
    return d.ssh_key;
  }

  async sshKeys(): Promise<SshKey[]> {
    return collectPages(async (page) => {
      const d = unwrap('GET /v2/account/keys', await this.api.GET('/v2/account/keys', { params: { query: { per_page: PER_PAGE, page } } }));
      return { items: d.ssh_keys ?? [], links: d.links };
    });
  }

  /** Idempotent: a key that is already gone counts as deleted. */
  async deleteSshKey(id: number): Promise<void> {
    const r = await this.api.DELETE('/v2/account/keys/{ssh_key_identifier}', { params: { path: { ssh_key_identifier: id } } });
    if (r.response.status === 404) return;
    unwrap('DELETE /v2/account/keys/{id}', r);
  }

  /** One request for up to 10 names (the API's limit for `names`). */
  async createDroplets(req: CreateDropletsRequest): Promise<Droplet[]> {
    if (req.names.length < 1 || req.names.length > 10) throw new Error(`createDroplets takes 1 to 10 names, got ${req.names.length}`);
    const r = await this.api.POST('/v2/droplets', {
      body: { names: req.names, region: req.region, size: req.size, image: req.image, ssh_keys: req.sshKeys, tags: req.tags, user_data: req.userData, ipv6: false, monitoring: false },
    });
    const d = unwrap('POST /v2/droplets', r);
    if ('droplets' in d && Array.isArray(d.droplets)) return d.droplets;
    if ('droplet' in d && d.droplet) return [d.droplet];
    return [];
  }

  async dropletsByTag(tag: string): Promise<Droplet[]> {
    return collectPages(async (page) => {
      const d = unwrap('GET /v2/droplets', await this.api.GET('/v2/droplets', { params: { query: { tag_name: tag, per_page: PER_PAGE, page } } }));
      return { items: d.droplets ?? [], links: d.links };
    });
  }

  async deleteDroplet(id: number): Promise<void> {
    const r = await this.api.DELETE('/v2/droplets/{droplet_id}', { params: { path: { droplet_id: id } } });
    if (r.response.status === 404) return;
    unwrap('DELETE /v2/droplets/{id}', r);
  }

  async deleteDropletsByTag(tag: string): Promise<void> {
    unwrap('DELETE /v2/droplets', await this.api.DELETE('/v2/droplets', { params: { query: { tag_name: tag } } }));
  }
}
