import { describe, expect, it } from 'vitest';
import {
  impairmentSteps, lossMatch, NETEM_MISSING, renderLossRuleset, tbfArgs, UnsupportedImpairmentError, type ImpairedLink,
} from '../../../src/lab/recipes/impair.js';
import { parseRuleset } from './nft-parse.js';

const LINK: ImpairedLink = {
  uplink: { ns: 'node', dev: 'eth0' },
  downlink: { ns: 'inet', dev: 'p3' },
  loss: { ns: 'node', dev: 'eth0' },
  exemptSshFrom: '198.18.0.1',
};

describe('impairment recipes', () => {
  it('loss uses numgen: whole percents mod 100, fractions in basis points, 100% drops everything', () => {
    expect(lossMatch(5)).toBe('numgen random mod 100 lt 5');
    expect(lossMatch(0.5)).toBe('numgen random mod 10000 lt 50');
    expect(lossMatch(100)).toBe('');
    expect(() => lossMatch(0)).toThrow(/loss must be in/);
    expect(() => lossMatch(101)).toThrow(/loss must be in/);
  });

  it('the loss table drops in both directions on the device, after exempting the controller’s SSH', () => {
    const t = parseRuleset(renderLossRuleset(7, 'eth0', '198.18.0.1'));
    expect(t.name).toBe('vtimpair');
    const ingress = t.chains.loss_ingress;
    const egress = t.chains.loss_egress;
    expect(ingress?.hook).toBe('prerouting');
    expect(ingress?.priority).toBe('raw');
    expect(ingress?.rules).toEqual(['iifname "eth0" ip saddr 198.18.0.1 tcp dport 22 accept', 'iifname "eth0" numgen random mod 100 lt 7 drop']);
    expect(egress?.hook).toBe('postrouting');
    expect(egress?.rules).toEqual(['oifname "eth0" ip daddr 198.18.0.1 tcp sport 22 accept', 'oifname "eth0" numgen random mod 100 lt 7 drop']);
    expect(parseRuleset(renderLossRuleset(100, 'eth0')).chains.loss_ingress?.rules).toEqual(['iifname "eth0" drop']);
  });

  it('tbf burst covers ~20 ms of the rate and never less than two frames', () => {
    expect(tbfArgs(2000)).toEqual(['tbf', 'rate', '2000kbit', 'burst', '5000', 'latency', '100ms']);
    expect(tbfArgs(100)).toContain('3200');
    expect(() => tbfArgs(0)).toThrow(/rate must be positive/);
  });

  it('rate shapes both directions; loss adds the nft table in the loss namespace', () => {
    const steps = impairmentSteps({ rateKbit: 1000, lossPercent: 2 }, LINK, false);
    expect(steps.map((s) => [s.ns, s.argv.slice(0, 6).join(' ')])).toEqual([
      ['node', 'tc qdisc replace dev eth0 root'],
      ['inet', 'tc qdisc replace dev p3 root'],
      ['node', 'nft -f -'],
    ]);
    expect(steps[0]?.argv).toContain('tbf');
    expect(steps[2]?.input).toContain('numgen random mod 100 lt 2 drop');
  });

  it('delay or jitter without netem is an error, never a silent no-op', () => {
    for (const impair of [{ delayMs: 50 }, { jitterMs: 5 }, { delayMs: 20, rateKbit: 100 }]) {
      expect(() => impairmentSteps(impair, LINK, false)).toThrow(UnsupportedImpairmentError);
      expect(() => impairmentSteps(impair, LINK, false)).toThrow(NETEM_MISSING);
    }
  });

  it('with netem, delay/jitter/rate go into one netem qdisc on the uplink and the downlink gets tbf', () => {
    const steps = impairmentSteps({ delayMs: 120, jitterMs: 10, rateKbit: 500 }, LINK, true);
    expect(steps[0]?.argv.slice(6)).toEqual(['netem', 'delay', '120ms', '10ms', 'distribution', 'normal', 'rate', '500kbit']);
    expect(steps[1]?.ns).toBe('inet');
    expect(steps[1]?.argv).toContain('tbf');
    expect(steps).toHaveLength(2);
  });

  it('no impairment, no steps', () => {
    expect(impairmentSteps(undefined, LINK, false)).toEqual([]);
    expect(impairmentSteps({}, LINK, false)).toEqual([]);
  });
});
