import { DigitalOceanApi } from '../../providers/digitalocean/api.js';
import { apiUrlFromEnv, createDoClient, tokenFromEnv } from '../../providers/digitalocean/client.js';
import { runJanitor } from '../../providers/digitalocean/janitor.js';
import { parseFlags } from '../args.js';

const HELP = `Usage: vps-test janitor [--dry-run]

Deletes DigitalOcean droplets and SSH keys made by vps-test whose TTL has passed (tag
vps-test-expires-<unix time>, set from fleet.digitalocean.ttl), whichever run or machine made
them. Unexpired resources and anything without the vps-test tag are left alone. --dry-run
only lists what would be deleted. Needs DIGITALOCEAN_TOKEN (DIGITALOCEAN_API_URL to point
it elsewhere). Run it on a schedule next to cloud runs.`;

export async function janitorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { 'dry-run': { type: 'boolean' } }, 'janitor');
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const api = new DigitalOceanApi(createDoClient({ token: tokenFromEnv(), baseUrl: apiUrlFromEnv() }));
  const findings = await runJanitor(api, { dryRun: Boolean(values['dry-run']), log: (l) => console.log(l) });
  const expired = findings.filter((f) => f.expired).length;
  console.log(`${values['dry-run'] ? 'would delete' : 'deleted'} ${expired} expired resource(s); kept ${findings.length - expired}`);
  return 0;
}
