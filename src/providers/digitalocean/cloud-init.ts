// The droplet's cloud-init user_data: host keys we generated (so the first SSH connection is
// already verified), the node's working directory, and for `nat:` nodes the lab's NAT recipe
// rendered as a script (the node's processes then run in a namespace behind it). Pure.
// See docs/architecture.md, "DigitalOcean".
import { stringify } from 'yaml';

/** Where a droplet keeps everything of vps-test (root's home: nothing outside it is touched). */
export const DROPLET_ROOT = '/root/vps-test';
/** Written last by cloud-init: the machine is fully set up (NAT included) once it exists. */
export const READY_FILE = `${DROPLET_ROOT}/ready`;

export interface UserDataOptions {
  hostKey: { privateKey: string; publicKey: string };
  workdir: string;
  /** renderNatScript output for `nat:` nodes. */
  natScript?: string;
}

export function renderUserData(o: UserDataOptions): string {
  const natPath = `${DROPLET_ROOT}/nat.sh`;
  const config = {
    // our host key replaces the image's generated ones, so known_hosts can be written up front
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: { ed25519_private: o.hostKey.privateKey.endsWith('\n') ? o.hostKey.privateKey : `${o.hostKey.privateKey}\n`, ed25519_public: o.hostKey.publicKey },
    ...(o.natScript ? { write_files: [{ path: natPath, permissions: '0700', content: o.natScript }] } : {}),
    runcmd: [['mkdir', '-p', o.workdir], ...(o.natScript ? [['sh', natPath]] : []), ['touch', READY_FILE]],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
