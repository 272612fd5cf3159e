// The fake DigitalOcean account: droplets, SSH keys and the rules the real API applies to
// them (names, sizes, regions, images, droplet limit). Pure state; the server adds HTTP.
import { createHash } from 'node:crypto';
import { IMAGES, REGIONS, SIZES } from './catalog.js';

export interface FakeDroplet {
  id: number;
  name: string;
  region: string;
  size: string;
  image: string;
  tags: string[];
  sshKeyIds: number[];
  userData?: string;
  status: 'new' | 'active' | 'off' | 'archive';
  createdAt: string;
  ipv4?: string;
}

export interface FakeSshKey {
  id: number;
  name: string;
  public_key: string;
  fingerprint: string;
}

export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const TAG = /^[a-zA-Z0-9_\-:]{1,255}$/;

export function fingerprintOf(publicKey: string): string {
  const blob = Buffer.from(publicKey.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').match(/../g)?.join(':') ?? '';
}

export class FakeAccount {
  readonly droplets = new Map<number, FakeDroplet>();
  readonly keys = new Map<number, FakeSshKey>();
  private nextDropletId = 400_000_001;
  private nextKeyId = 5_100_001;
  /** Droplets ever created (the quota fault counts these). */
  created = 0;

  constructor(public dropletLimit = 25) {}

  createKey(name: string, publicKey: string): FakeSshKey {
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(publicKey)) throw new ApiRefusal(422, 'unprocessable_entity', 'Key invalid type, we support RSA, ECDSA and ED25519 keys');
    const fingerprint = fingerprintOf(publicKey);
    if ([...this.keys.values()].some((k) => k.fingerprint === fingerprint)) throw new ApiRefusal(422, 'unprocessable_entity', 'SSH Key is already in use on your account');
    const key = { id: this.nextKeyId++, name, public_key: publicKey.trim(), fingerprint };
    this.keys.set(key.id, key);
    return key;
  }

  keyBy(identifier: string): FakeSshKey | undefined {
    return /^\d+$/.test(identifier) ? this.keys.get(Number(identifier)) : [...this.keys.values()].find((k) => k.fingerprint === identifier);
  }

  /** Checks a whole create request as the API does: any problem refuses all of its droplets. */
  createDroplets(req: { names: string[]; region?: string; size: string; image: string | number; sshKeys: (string | number)[]; tags: string[]; userData?: string }): FakeDroplet[] {
    if (req.names.length > 10) throw new ApiRefusal(422, 'unprocessable_entity', 'You can create at most 10 droplets per request');
    const size = SIZES.find((s) => s.slug === req.size);
    if (!size) throw new ApiRefusal(422, 'unprocessable_entity', `You specified an invalid size for Droplet creation: ${req.size}`);
    const region = req.region ?? 'nyc3';
    if (!REGIONS.some((r) => r.slug === region)) throw new ApiRefusal(422, 'unprocessable_entity', `You specified an invalid region for Droplet creation: ${region}`);
    if (!size.regions.includes(region)) throw new ApiRefusal(422, 'unprocessable_entity', `Size ${size.slug} is not available in region ${region}`);
    const image = IMAGES.find((i) => i.slug === req.image || i.id === req.image);
    if (!image) throw new ApiRefusal(422, 'unprocessable_entity', `You specified an invalid image for Droplet creation: ${req.image}`);
    const keyIds = req.sshKeys.map((k) => {
      const key = this.keyBy(String(k));
      if (!key) throw new ApiRefusal(422, 'unprocessable_entity', `You specified an invalid SSH key: ${k}`);
      return key.id;
    });
    for (const t of req.tags) if (!TAG.test(t)) throw new ApiRefusal(422, 'unprocessable_entity', `invalid tag name: ${t}`);
    if (req.userData && Buffer.byteLength(req.userData) > 64 * 1024) throw new ApiRefusal(422, 'unprocessable_entity', 'user_data is limited to 64 KiB');
    if (this.droplets.size + req.names.length > this.dropletLimit) {
      throw new ApiRefusal(422, 'unprocessable_entity', `creating this/these droplet(s) will exceed your droplet limit (${this.dropletLimit})`);
    }
    return req.names.map((name) => {
      const d: FakeDroplet = {
        id: this.nextDropletId++,
        name,
        region,
        size: size.slug,
        image: image.slug,
        tags: [...new Set(req.tags)],
        sshKeyIds: keyIds,
        ...(req.userData ? { userData: req.userData } : {}),
        status: 'new',
        createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      this.droplets.set(d.id, d);
      this.created++;
      return d;
    });
  }

  byTag(tag: string): FakeDroplet[] {
    return [...this.droplets.values()].filter((d) => d.tags.includes(tag)).sort((a, b) => a.id - b.id);
  }
}

/** A droplet as the API renders it (every field the description requires). */
export function renderDroplet(d: FakeDroplet): Record<string, unknown> {
  const size = SIZES.find((s) => s.slug === d.size) ?? SIZES[1];
  const region = REGIONS.find((r) => r.slug === d.region);
  const image = IMAGES.find((i) => i.slug === d.image) ?? IMAGES[0];
  return {
    id: d.id,
    name: d.name,
    memory: size?.memory,
    vcpus: size?.vcpus,
    disk: size?.disk,
    locked: false,
    status: d.status,
    created_at: d.createdAt,
    features: ['droplet_agent'],
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: { id: image?.id, name: image?.name, distribution: image?.distribution, slug: image?.slug, public: true, regions: REGIONS.map((r) => r.slug), created_at: '2024-04-25T00:00:00Z', type: 'base', min_disk_size: 7, size_gigabytes: 2.5, description: image?.name, tags: [], status: 'available' },
    volume_ids: [],
    size,
    size_slug: d.size,
    networks: { v4: d.ipv4 ? [{ ip_address: d.ipv4, netmask: '255.255.255.0', gateway: d.ipv4.replace(/\.\d+$/, '.254'), type: 'public' }] : [], v6: [] },
    region,
    tags: d.tags,
  };
}
