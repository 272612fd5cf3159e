// Public surface of src/deploy.
export { deployArtifact, binaryPath, type BinaryUpload, type DeployOptions, type NodeDeployResult, type TransferMethod } from './artifact.js';
export {
  startService,
  stopService,
  restartService,
  serviceStatus,
  readServiceSpec,
  type StartedService,
  type StopResult,
  type ServiceOptions,
  type ServiceStatus,
} from './service.js';
export { servicePaths, type ServiceSpec, type ReadyCheck } from './service-spec.js';
export { NotReadyError, waitReady, logTail } from './readiness.js';
export { collectLogs, type NodeLogs, type CollectOptions } from './logs.js';
export { type Encoding } from './compress.js';
