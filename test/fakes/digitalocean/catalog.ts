// What the fake account offers: a few real DigitalOcean sizes (prices as published), regions
// and images. Enough to exercise validation (unknown size/region) and the cost estimate.
export interface FakeSize {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  transfer: number;
  price_monthly: number;
  price_hourly: number;
  regions: string[];
  available: boolean;
  description: string;
}

const ALL_REGIONS = ['nyc1', 'nyc3', 'sfo3', 'ams3', 'fra1', 'lon1', 'sgp1', 'blr1', 'syd1', 'tor1'];

export const SIZES: FakeSize[] = [
  { slug: 's-1vcpu-512mb-10gb', memory: 512, vcpus: 1, disk: 10, transfer: 0.5, price_monthly: 4, price_hourly: 0.00595, regions: ['nyc1', 'sfo3', 'fra1'], available: true, description: 'Basic' },
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, transfer: 1, price_monthly: 6, price_hourly: 0.00893, regions: ALL_REGIONS, available: true, description: 'Basic' },
  { slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, transfer: 2, price_monthly: 12, price_hourly: 0.01786, regions: ALL_REGIONS, available: true, description: 'Basic' },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, transfer: 4, price_monthly: 24, price_hourly: 0.03571, regions: ALL_REGIONS, available: true, description: 'Basic' },
];

export const REGIONS = ALL_REGIONS.map((slug) => ({
  slug,
  name: slug.toUpperCase(),
  features: ['backups', 'ipv6', 'metadata', 'install_agent'],
  available: true,
  sizes: SIZES.filter((s) => s.regions.includes(slug)).map((s) => s.slug),
}));

export const IMAGES = [
  { id: 160000001, slug: 'ubuntu-24-04-x64', name: '24.04 (LTS) x64', distribution: 'Ubuntu' },
  { id: 160000002, slug: 'ubuntu-22-04-x64', name: '22.04 (LTS) x64', distribution: 'Ubuntu' },
  { id: 160000003, slug: 'debian-12-x64', name: '12 x64', distribution: 'Debian' },
];
