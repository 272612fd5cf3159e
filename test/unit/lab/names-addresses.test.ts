import { describe, expect, it } from 'vitest';
import { internetSubnet, lanPlan, machineAddress, subnetIndexOf } from '../../../src/lab/addresses.js';
import {
  assertRunId, controllerVeth, inetNamespace, isNamespaceOfRun, machineNamespace, runIdOfNamespace,
} from '../../../src/lab/names.js';

describe('lab names', () => {
  it('namespaces carry the run prefix and a dash-free role', () => {
    expect(inetNamespace('ab12')).toBe('vtab12-inet');
    expect(machineNamespace('ab12', 'public', 0, 'bootstrap-1')).toBe('vtab12-n0.bootstrap_1');
    expect(machineNamespace('ab12', 'router', 3, 'fc')).toBe('vtab12-r3.fc');
    expect(machineNamespace('ab12', 'host', 3, 'fc')).toBe('vtab12-h3.fc');
    expect(machineNamespace('ab12', 'home-router', 3, 'fc')).toBe('vtab12-g3.fc');
    expect(runIdOfNamespace('vtab12-g3.fc')).toBe('ab12'); // a double NAT's home router is found by destroy
  });

  it('the run id of a namespace is unambiguous, even for run ids that prefix each other', () => {
    expect(runIdOfNamespace('vta-inet')).toBe('a');
    expect(runIdOfNamespace('vta-b-inet')).toBe('a-b');
    expect(runIdOfNamespace('vta-b-n1.x')).toBe('a-b');
    expect(isNamespaceOfRun('vta-b-inet', 'a')).toBe(false);
    expect(runIdOfNamespace(machineNamespace('20250101-1200-x', 'host', 12, 'peer-7'))).toBe('20250101-1200-x');
    for (const foreign of ['vtsomething', 'docker0', 'vt-inet', 'vtab-foo', 'vtab-n1-x', 'ns1']) {
      expect(runIdOfNamespace(foreign), foreign).toBeUndefined();
    }
  });

  it('the controller veth fits the 15-character limit and depends only on the run id', () => {
    const long = 'a'.repeat(48);
    expect(controllerVeth(long).length).toBeLessThanOrEqual(15);
    expect(controllerVeth('x1')).toBe(controllerVeth('x1'));
    expect(controllerVeth('x1')).not.toBe(controllerVeth('x2'));
  });

  it('refuses run ids that could escape the grammar', () => {
    for (const bad of ['', 'a/b', 'a b', '-a', 'a.b', 'a'.repeat(49)]) expect(() => assertRunId(bad), bad).toThrow(/invalid run id/);
  });
});

describe('lab addresses', () => {
  it('512 /24s of 198.18.0.0/15, with controller .1 and the dead-end gateway .254', () => {
    expect(internetSubnet(0)).toEqual({ index: 0, cidr: '198.18.0.0/24', prefixLen: 24, controllerIp: '198.18.0.1', gatewayIp: '198.18.0.254' });
    expect(internetSubnet(256).cidr).toBe('198.19.0.0/24');
    expect(internetSubnet(511).cidr).toBe('198.19.255.0/24');
    expect(() => internetSubnet(512)).toThrow(RangeError);
    expect(() => internetSubnet(-1)).toThrow(RangeError);
  });

  it('machine addresses start at .10 and stop before the gateway', () => {
    const s = internetSubnet(5);
    expect(machineAddress(s, 0)).toBe('198.18.5.10');
    expect(machineAddress(s, 243)).toBe('198.18.5.253');
    expect(() => machineAddress(s, 244)).toThrow(/at most 244/);
  });

  it('NAT LANs are 10.<k+1>.0.0/24 with the router at .1 and the host at .2', () => {
    expect(lanPlan(0)).toEqual({ cidr: '10.1.0.0/24', prefixLen: 24, routerIp: '10.1.0.1', hostIp: '10.1.0.2' });
    expect(lanPlan(252).routerIp).toBe('10.253.0.1');
    expect(() => lanPlan(253)).toThrow(RangeError);
  });

  it('maps an address back to its subnet index', () => {
    expect(subnetIndexOf('198.19.3.7')).toBe(259);
    expect(subnetIndexOf('198.18.0.1')).toBe(0);
    expect(subnetIndexOf('10.0.0.1')).toBeUndefined();
  });
});
