// The VM machines' pure parts (docs/architecture.md, "VM machines"): accelerator choice, seed,
// qemu argv, the tap attachment, the NAT router's SSH forward, cloud-init's verdict.
import { describe, expect, it } from 'vitest';
import { applyAccelChoice, chooseAccel, kvmFacts, PROBE_EXIT, probeBios } from '../../../src/vm/accel.js';
import { buildPlan } from '../../../src/plan/plan.js';
import { renderPlanSummary } from '../../../src/plan/summary.js';
import { attachSteps, vmMac } from '../../../src/vm/attach.js';
import { attachmentOf } from '../../../src/vm/machines.js';
import { qemuArgv } from '../../../src/vm/qemu.js';
import { netemArgv, renderMultipart, renderNetworkConfig, renderUserData } from '../../../src/vm/seed.js';
import { parseCloudInitStatus } from '../../../src/vm/ssh-check.js';
import { machineSteps, planTopology } from '../../../src/lab/topology.js';
import { renderNatRuleset } from '../../../src/lab/recipes/nat.js';
import { parseConfig } from '../../../src/config/load.js';

describe('accelerator', () => {
  it('takes KVM only with a vendor module and a probe guest that ran', () => {
    expect(chooseAccel({ devKvm: true, modules: ['kvm', 'kvm_intel'], probeExit: 99 }).kind).toBe('kvm');
    expect(chooseAccel({ devKvm: true, modules: ['kvm', 'kvm_intel'], probeExit: 1 })).toMatchObject({ kind: 'tcg', reason: expect.stringMatching(/failed to run a probe guest \(exit 1\)/) });
    expect(chooseAccel({ devKvm: false, modules: ['kvm_intel'], probeExit: 99 })).toMatchObject({ kind: 'tcg', reason: expect.stringMatching(/missing/) });
  });
  it('names kvm_pvm and the cost of software emulation', () => {
    const a = chooseAccel({ devKvm: true, modules: ['kvm', 'kvm_pvm'] });
    expect(a.kind).toBe('tcg');
    expect(a.reason).toMatch(/kvm_pvm.*software emulation \(TCG\): about \d+-\d+ s per boot.* MB of host memory per VM/);
  });
  it('fleet.vm.accel: kvm refuses software emulation, naming what is missing; tcg skips the probe; auto takes what was found', () => {
    const pvm = chooseAccel({ devKvm: true, modules: ['kvm', 'kvm_pvm'] });
    expect(() => applyAccelChoice('kvm', pvm)).toThrow(/fleet\.vm\.accel is kvm, but this machine has no hardware KVM: \/dev\/kvm is kvm_pvm, a paravirtual KVM that only runs specially patched guests \(accel: auto falls back/);
    expect(() => applyAccelChoice('kvm', chooseAccel({ devKvm: false, modules: [] }))).toThrow(/no hardware KVM: \/dev\/kvm is missing or not usable \(no read-write access\) \(/);
    const kvm = chooseAccel({ devKvm: true, modules: ['kvm_amd'], probeExit: 99 });
    expect(applyAccelChoice('kvm', kvm)).toBe(kvm);
    expect(applyAccelChoice('auto', pvm)).toBe(pvm);
    expect(applyAccelChoice('tcg', kvm)).toMatchObject({ kind: 'tcg', reason: expect.stringMatching(/fleet\.vm\.accel: tcg/) });
  });
  it('probe BIOS has the reset vector at 0xFFFF0', () => {
    const b = probeBios();
    expect(b.length).toBe(65536);
    expect([...b.subarray(0xfff0, 0xfff5)]).toEqual([0xb0, 0x31, 0xe6, 0xf4, 0xf4]);
  });
});

describe('seed', () => {
  const spec = {
    instanceId: 'vtr1-a',
    hostname: 'a',
    hostKey: { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', public: 'ssh-ed25519 AAAAhost' },
    clientKeys: ['ssh-ed25519 AAAAclient'],
    workdir: '/root/vps-test/a',
    network: { mac: '52:56:00:00:00:01', address: '198.18.0.10/24', gateway: '198.18.0.254' },
    impair: { delayMs: 50 },
  };
  it('user-data installs our host key, the client key for root, the workdir and netem', () => {
    const u = renderUserData(spec);
    expect(u.startsWith('#cloud-config\n')).toBe(true);
    expect(u).toContain('  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    abc\n');
    expect(u).toContain('ed25519_public: "ssh-ed25519 AAAAhost"');
    expect(u).toContain('ssh_genkeytypes: []');
    expect(u).toContain('disable_root: false');
    expect(u).toContain('  - "ssh-ed25519 AAAAclient"');
    expect(u).toContain('["mkdir", "-p", "-m", "0700", "/root/vps-test/a"]');
    expect(u).toContain('["tc", "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", "50ms"]');
  });
  it('netem carries every impairment, nothing when there is none', () => {
    expect(netemArgv({ delayMs: 20, jitterMs: 5, lossPercent: 1, rateKbit: 800 })).toEqual(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', 'delay', '20ms', '5ms', 'loss', '1%', 'rate', '800kbit']);
    expect(netemArgv({})).toBeUndefined();
    expect(netemArgv(undefined)).toBeUndefined();
  });
  it('network-config v2 gives the NIC (by MAC) the node address', () => {
    expect(renderNetworkConfig(spec.network)).toBe(
      'version: 2\nethernets:\n  eth0:\n    match: { macaddress: "52:56:00:00:00:01" }\n    set-name: eth0\n    addresses: ["198.18.0.10/24"]\n    gateway4: "198.18.0.254"\n',
    );
  });
  it('extra user-data becomes a second MIME part of its own type', () => {
    const m = renderMultipart('#cloud-config\n', '#!/bin/sh\necho hi\n');
    expect(m).toContain('Content-Type: text/x-shellscript');
    expect(m.indexOf('text/cloud-config')).toBeLessThan(m.indexOf('text/x-shellscript'));
  });
});

describe('attachment and qemu', () => {
  const t = planTopology(
    [
      { name: 'pub', nat: 'none', role: 'peer', machine: 'vm', impair: { delayMs: 50 } },
      { name: 'fc', nat: 'full-cone', role: 'peer', machine: 'vm' },
      { name: 'plain', nat: 'none', role: 'peer' },
    ],
    { runId: 'r1', subnetIndex: 3, labRoot: '/tmp/lab' },
  );
  const [pub, fc, plain] = t.machines;
  it('a public VM sits in its machine namespace with the public address; a NAT\'d one in the host namespace', () => {
    const a = attachmentOf(t, pub!);
    expect(a).toMatchObject({ ns: pub!.machineNamespace, address: pub!.publicIps[0], prefixLen: 32, gateway: t.subnet.gatewayIp });
    const b = attachmentOf(t, fc!);
    expect(b).toMatchObject({ ns: fc!.hostNamespace, address: fc!.lan!.hostIp, gateway: fc!.lan!.routerIp });
    const steps = attachSteps(a).map((s) => s.argv.join(' '));
    expect(steps[0]).toBe(`ip -n ${a.ns} addr del ${a.address}/32 dev eth0`);
    expect(steps).toContain(`ip -n ${a.ns} neigh replace ${a.address} lladdr ${a.guestMac} dev vmtap nud permanent`);
  });
  it('MACs are fixed per run and node, locally administered, and differ', () => {
    expect(vmMac('r1', 'a', 'guest')).toBe(vmMac('r1', 'a', 'guest'));
    expect(vmMac('r1', 'a', 'guest')).not.toBe(vmMac('r1', 'a', 'tap'));
    expect(vmMac('r1', 'a', 'guest')).toMatch(/^52:56(:[0-9a-f]{2}){4}$/);
  });
  it('a VM node\'s impairment is not on the host\'s links; its namespace counts evidence as a router', () => {
    const steps = machineSteps(t, pub!, { netem: false }).map((s) => `${s.argv.join(' ')} ${s.input ?? ''}`);
    expect(steps.some((s) => /netem|tc qdisc/.test(s))).toBe(false);
    expect(steps.some((s) => /hook forward/.test(s))).toBe(true);
    const plainSteps = machineSteps(t, plain!, { netem: false }).map((s) => `${s.argv.join(' ')} ${s.input ?? ''}`);
    expect(plainSteps.some((s) => /hook forward/.test(s))).toBe(false);
  });
  it('a NAT\'d VM\'s router forwards the controller\'s SSH to it', () => {
    const nat = machineSteps(t, fc!, { netem: false }).find((s) => s.input?.includes('table ip vtnat'))!.input!;
    expect(nat).toContain(`ip saddr { ${t.subnet.controllerIp} } tcp dport 22 dnat ip to ${fc!.lan!.hostIp}`);
    expect(nat).toContain(`ip saddr ${fc!.lan!.hostIp} tcp sport 22 snat ip to ${fc!.publicIps[0]}:22`);
    expect(nat).toContain(`ip saddr ${fc!.lan!.hostIp} tcp sport 22 return`);
  });
  it('without sshTo the ruleset is unchanged', () => {
    const r = renderNatRuleset('symmetric', { sshFrom: ['1.2.3.4'], wanIp: '5.6.7.8' });
    expect(r).not.toContain('ssh_dnat');
    expect(renderNatRuleset('symmetric', { sshFrom: ['1.2.3.4'], wanIp: '5.6.7.8', sshTo: '10.0.0.2' })).toContain('ip daddr 10.0.0.2 tcp dport 22 ct status dnat accept');
  });
  it('qemu: an overlay, the seed, the tap, TCG with a small translation cache', () => {
    const argv = qemuArgv({
      name: 'vtr1-pub',
      image: { dir: '/i', base: '/i/base.qcow2', kernel: '/i/vmlinuz', initrd: '/i/initrd.img' },
      files: { overlay: '/v/o.qcow2', seedIso: '/v/seed.iso', console: '/v/console.log', pidFile: '/v/qemu.pid' },
      accel: { kind: 'tcg', reason: 'x' },
      tap: 'vmtap',
      mac: '52:56:00:00:00:01',
    });
    expect(argv.join(' ')).toContain('-accel tcg,tb-size=64');
    expect(argv.join(' ')).toContain('file=/v/o.qcow2,if=virtio,format=qcow2');
    expect(argv.join(' ')).toContain('tap,id=net0,ifname=vmtap,script=no,downscript=no');
    expect(argv.join(' ')).toContain('mac=52:56:00:00:00:01');
    expect(qemuArgv({ name: 'x', image: { dir: '', base: '', kernel: '', initrd: '' }, files: { overlay: '', seedIso: '', console: '', pidFile: '' }, accel: { kind: 'kvm', reason: '' }, tap: 't', mac: 'm' }).join(' ')).toContain('-accel kvm -cpu host');
  });
});

describe('cloud-init status', () => {
  it('done has no errors', () => {
    expect(parseCloudInitStatus('status: done\nextended_status: done\nboot_status_code: enabled-by-generator\ndetail:\nDataSourceNoCloud [seed=/dev/vdb][dsmode=net]\nerrors: []\n')).toEqual({ status: 'done', errors: [] });
  });
  it('22.4 (bookworm): the unindented detail lines are the message', () => {
    const s = parseCloudInitStatus("status: error\ntime: Wed, 02 Dec 2026 03:07:06 +0000\ndetail:\n('locale', ProcessExecutionError('Unexpected error while running command.'))\n");
    expect(s).toEqual({ status: 'error', errors: ["('locale', ProcessExecutionError('Unexpected error while running command.'))"] });
  });
  it('error carries cloud-init\'s own messages', () => {
    const s = parseCloudInitStatus("status: error\ndetail:\n  ('scripts_user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))\nerrors:\n\t- ('scripts_user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))\n");
    expect(s.status).toBe('error');
    expect(s.errors.join(' ')).toMatch(/Runparts: 1 failures/);
  });
});

const CHOICES = { project: 'p', focus: 'full-suite', criteria: 'threshold', proof: 'logs' } as const;

describe('config: machine', () => {
  const base = (extra: string, provider = 'local') => `project: p\nfleet:\n  provider: ${provider}\n  nodes:\n    - { name: a${extra} }\n    - { name: b }\n`;
  it('accepts machine: vm on the local lab', () => {
    expect(parseConfig(base(', machine: vm'), 'x.yml').fleet.nodes[0]?.machine).toBe('vm');
  });
  it('fleet.vm.accel reaches the plan and its summary; vm options without a VM are refused', () => {
    const cfg = (vm: string, extra = ', machine: vm') => `project: p\nfleet:\n  vm: { accel: ${vm} }\n  nodes:\n    - { name: a${extra} }\n    - { name: b }\n`;
    const plan = buildPlan(parseConfig(cfg('kvm'), 'x.yml'), CHOICES);
    expect(plan.vmAccel).toBe('kvm');
    expect(renderPlanSummary(plan)).toMatch(/1 VM machine\(s\): hardware KVM required \(fleet\.vm\.accel: kvm\)/);
    expect(buildPlan(parseConfig(cfg('auto'), 'x.yml'), CHOICES).vmAccel).toBeUndefined();
    expect(renderPlanSummary(buildPlan(parseConfig(cfg('tcg'), 'x.yml'), CHOICES))).toMatch(/software emulation \(TCG\).*\(fleet\.vm\.accel: tcg\)/);
    expect(() => parseConfig(cfg('kvm', ''), 'x.yml')).toThrow(/vm options are set but no node has machine: vm/);
    expect(() => parseConfig(cfg('fast'), 'x.yml')).toThrow(/accel/);
  });
  it('refuses machine: vm elsewhere and unknown machines, naming the node', () => {
    expect(() => parseConfig(base(', machine: vm, host: h, host_key: "ssh-ed25519 AAAA"', 'inventory'), 'x.yml')).toThrow(/node 'a': machine vm runs on the local lab only/);
    expect(() => parseConfig(base(', machine: docker'), 'x.yml')).toThrow(/machine/);
  });
});

describe('plan-time check: a machine without what VMs need', () => {
  it('names the missing commands and their packages, and the command that installs them', async () => {
    const { prepareVms } = await import('../../../src/vm/index.js');
    const none = async () => undefined;
    await expect(prepareVms(async () => ({ code: 0, stdout: '', stderr: '' }), () => undefined, { isRoot: false, resolve: none })).rejects.toThrow(
      /VM machines need qemu-system-x86_64 \(qemu-system-x86\), qemu-img \(qemu-utils\), xorriso \(xorriso\), debootstrap \(debootstrap\): run `sudo bash scripts\/install-vm-deps.sh`/,
    );
  });
  it('names the missing base image and how to build it', async () => {
    const { prepareVms } = await import('../../../src/vm/index.js');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'vt-vm-recipe-'));
    writeFileSync(join(dir, 'build-image.sh'), `# a recipe never built: ${dir}\n`);
    const all = async (cmd: string) => `/usr/bin/${cmd}`;
    try {
      await expect(prepareVms(async () => ({ code: 0, stdout: '', stderr: '' }), () => undefined, { isRoot: false, resolve: all, script: join(dir, 'build-image.sh') })).rejects.toThrow(
        /VM machines need the base image .*bookworm-[0-9a-f]{16}, which is not built: run `sudo npm run vm:image`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  // this machine's own /dev/kvm: the test means something only where hardware KVM is missing
  it('accel: kvm on a machine without hardware KVM fails first, naming what is missing, before packages or the image', async () => {
    const facts = await kvmFacts();
    if (chooseAccel({ ...facts, probeExit: PROBE_EXIT }).kind === 'kvm') return;
    const { prepareVms } = await import('../../../src/vm/index.js');
    const exec = async () => {
      throw new Error('nothing may run');
    };
    const none = async () => undefined;
    await expect(prepareVms(exec, () => undefined, { isRoot: false, resolve: none, accel: 'kvm' })).rejects.toThrow(/fleet\.vm\.accel is kvm, but this machine has no hardware KVM: \/dev\/kvm (is missing|is kvm_pvm|has no kvm_intel)/);
  });
});

describe('a lab asked for a VM without a launcher', () => {
  it('refuses before anything exists, naming the nodes', async () => {
    const { createLab } = await import('../../../src/lab/lab.js');
    const exec = async () => {
      throw new Error('nothing may run');
    };
    await expect(
      createLab({ runId: 'novm1', nodes: [{ name: 'a', nat: 'none', role: 'peer', machine: 'vm' }, { name: 'b', nat: 'none', role: 'peer' }], labRoot: '/tmp/vt-novm' }, { exec, handleSignals: false }),
    ).rejects.toThrow(/node\(s\) a ask for machine: vm, but this lab was given no VM launcher/);
  });
});
