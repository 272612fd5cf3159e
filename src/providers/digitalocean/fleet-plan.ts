// From the plan to droplet create requests and a cost estimate, checked against what the
// account offers (sizes and regions endpoints). Pure.
import type { PlannedNode, Plan } from '../../plan/types.js';
import type { Region, Size } from './api.js';

export const MAX_NAMES_PER_REQUEST = 10;

export interface DropletSpec {
  node: PlannedNode;
  region: string;
  size: string;
}

export interface Batch {
  region: string;
  size: string;
  nodes: PlannedNode[];
}

export function dropletSpecs(plan: Plan): DropletSpec[] {
  const d = plan.digitalocean ?? { region: 'nyc3', size: 's-1vcpu-1gb' };
  return plan.nodes.map((node) => ({ node, region: node.region ?? d.region, size: node.size ?? d.size }));
}

/** Nodes grouped by region and size, at most 10 per request (the API's limit for `names`). */
export function batches(specs: DropletSpec[]): Batch[] {
  const groups = new Map<string, Batch>();
  for (const s of specs) {
    const key = `${s.region}/${s.size}`;
    const g = groups.get(key) ?? { region: s.region, size: s.size, nodes: [] };
    g.nodes.push(s.node);
    groups.set(key, g);
  }
  return [...groups.values()].flatMap((g) =>
    Array.from({ length: Math.ceil(g.nodes.length / MAX_NAMES_PER_REQUEST) }, (_, i) => ({ ...g, nodes: g.nodes.slice(i * MAX_NAMES_PER_REQUEST, (i + 1) * MAX_NAMES_PER_REQUEST) })),
  );
}

/** Every problem with the plan's regions, sizes and nodes, naming the node and what is allowed. */
export function fleetProblems(specs: DropletSpec[], sizes: Size[], regions: Region[]): string[] {
  const problems: string[] = [];
  const regionSlugs = regions.filter((r) => r.available).map((r) => r.slug);
  for (const s of specs) {
    const where = `node "${s.node.name}"`;
    if (s.node.arch !== 'x86_64') problems.push(`${where}: DigitalOcean droplets are x86_64; arch ${s.node.arch} is not offered`);
    if (s.node.nat === 'none' && s.node.impair) problems.push(`${where}: impair on a public droplet is not supported yet; give the node a nat: type or drop impair`);
    const size = sizes.find((z) => z.slug === s.size);
    if (!regionSlugs.includes(s.region)) {
      problems.push(`${where}: region "${s.region}" is not available; available: ${regionSlugs.join(', ')}`);
    } else if (!size || !size.available) {
      const here = sizes.filter((z) => z.available && z.regions.includes(s.region)).map((z) => z.slug);
      problems.push(`${where}: size "${s.size}" does not exist; sizes in ${s.region}: ${here.join(', ')}`);
    } else if (!size.regions.includes(s.region)) {
      problems.push(`${where}: size "${s.size}" is not offered in ${s.region}; it is in ${size.regions.join(', ')}`);
    }
  }
  return problems;
}

/** Hourly price of the whole fleet and the cost of `hours` of it, from the sizes endpoint. */
export function costEstimate(specs: DropletSpec[], sizes: Size[], hours: number): { hourlyUsd: number; totalUsd: number; line: string } {
  const hourlyUsd = specs.reduce((sum, s) => sum + (sizes.find((z) => z.slug === s.size)?.price_hourly ?? 0), 0);
  // DigitalOcean bills every started hour of a droplet
  const totalUsd = hourlyUsd * Math.max(1, Math.ceil(hours));
  return { hourlyUsd, totalUsd, line: `${specs.length} droplet(s), $${hourlyUsd.toFixed(4)}/h together; at most $${totalUsd.toFixed(2)} if they live their whole TTL (${Math.ceil(hours)} h)` };
}
