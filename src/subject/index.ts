// Subject drivers: how the suites reach the program under test (docs/architecture.md).
import type { Plan } from '../plan/types.js';
import { agentDriver } from './agent.js';
import { commandDriver } from './command.js';
import { eventsDriver } from './events.js';
import type { SubjectDriver } from './types.js';

export type { DriverContext, SubjectDriver } from './types.js';
export { agentDriver, probeArgv, SINK_PORT } from './agent.js';
export { commandDriver, judgeAttempt } from './command.js';
export { eventsDriver } from './events.js';

export function driverFor(plan: Plan): SubjectDriver {
  switch (plan.subject.driver) {
    case 'agent':
      return agentDriver;
    case 'command':
      return commandDriver;
    case 'events':
      return eventsDriver;
  }
}
