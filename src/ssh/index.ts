// Public surface of src/ssh.
export { SshPool, NodeUnreachableError, isTransportFailure, type SshPoolOptions, type ScriptOptions, type ScriptResult, type Unreachable } from './pool.js';
export { ExecAbortedError, type ExecOptions, type ExecResult } from './exec.js';
export { HostKeyMismatchError, fingerprint, parsePublicKey } from './hostkey.js';
export { ScriptFailedError, type ScriptFailure } from './script.js';
export { shellJoin, shellQuote } from '../shell/quote.js';
export { Limiter, mapLimit } from './limiter.js';
