// The lab's public surface: lifecycle, preflight, and the pure recipes (also used to turn a
// cloud machine into its own NAT router).
export { createLab, defaultLabRoot, destroyLab, flushConntrack, LabError, listLabs } from './lab.js';
export type { CreateLabOptions, DestroyOptions, DestroyReport, Lab, LabMachineHook, LabSpec, LabSummary, MachineStartContext } from './lab.js';
export { LabInterruptedError } from './interrupt.js';
export { assertPreflight, LAB_COMMANDS, preflight, PreflightError, TEST_COMMANDS } from './preflight.js';
export type { PreflightOptions, PreflightResult } from './preflight.js';
export { CommandError, systemExec } from './exec.js';
export type { Exec, ExecOptions, ExecResult } from './exec.js';
export { hasNetem } from './netem.js';
export { planTopology, inetSteps, machineSteps } from './topology.js';
export type { LabNodeSpec, MachinePlan, Topology } from './topology.js';
export { NAT_KINDS, renderNatRuleset } from './recipes/nat.js';
export type { NatKind, NatRulesetOptions } from './recipes/nat.js';
export { impairmentSteps, NETEM_MISSING, renderLossRuleset, UnsupportedImpairmentError } from './recipes/impair.js';
export { natMachineSteps, renderNatScript, renderNatTeardownScript } from './recipes/nat-machine.js';
export type { NatMachineOptions, NatScriptOptions } from './recipes/nat-machine.js';
export { renderStep, type Step } from './recipes/steps.js';
