// Shell and unit-file text for services. Pure: data in, text out; service.ts runs them.
import { shellJoin, shellQuote } from '../shell/quote.js';
import { GROUP_FUNCTIONS } from '../ssh/wrap.js';
import type { ServicePaths, ServiceSpec } from './service-spec.js';

const DEFAULT_MAX_RESTARTS = 5;

function envExports(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
}

/**
 * A tiny supervisor (POSIX sh) for machines without systemd. It is started with setsid, so its
 * pid is the process group of everything the service starts: stopping = killing that group.
 * Like systemd's Restart=on-failure: a failing exit is restarted (bounded), exit 0 is not.
 */
export function renderSupervisor(spec: ServiceSpec, paths: ServicePaths, workdir: string): string {
  const q = shellQuote;
  const max = spec.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  const note = (text: string) => `printf '[vps-test] %s\\n' "${text}" >> ${q(paths.log)}`;
  return [
    `# vps-test supervisor for service ${spec.name}: restarts it after a failing exit, at most ${max} times`,
    `echo $$ > ${q(paths.pid)}`,
    `cd ${q(workdir)}`,
    ...envExports(spec.env),
    'n=0',
    `echo 0 > ${q(paths.restarts)}`,
    'while :; do',
    `  /bin/sh ${q(paths.commandScript)} >> ${q(paths.log)} 2>&1 < /dev/null &`,
    '  child=$!',
    `  echo $child > ${q(paths.child)}`,
    '  wait $child',
    '  rc=$?',
    '  if [ $rc -eq 0 ]; then',
    `    ${note(`service ${spec.name} exited with status 0`)}`,
    '    break',
    '  fi',
    `  if [ $n -ge ${max} ]; then`,
    `    ${note(`service ${spec.name} exited with status $rc; giving up after ${max} restarts`)}`,
    '    break',
    '  fi',
    '  n=$((n+1))',
    `  echo $n > ${q(paths.restarts)}`,
    `  ${note(`service ${spec.name} exited with status $rc; restart $n of ${max}`)}`,
    '  sleep 1',
    'done',
    `echo $rc > ${q(paths.exited)}`,
    `rm -f ${q(paths.child)}`,
    '',
  ].join('\n');
}

/** The service's command as its own script file (exec keeps the service's pid = the child pid). */
export function renderCommandScript(spec: ServiceSpec): string {
  return `# vps-test service ${spec.name}\n${spec.command}\n`;
}

/** systemd's quoting for one word of ExecStart= / Environment= (also escapes % and $). */
export function systemdQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** A hardened unit: the service may write only below its workdir. */
export function renderUnit(spec: ServiceSpec, paths: ServicePaths, workdir: string, prefix: readonly string[]): string {
  const max = spec.maxRestarts ?? DEFAULT_MAX_RESTARTS;
  const exec = [...prefix, '/bin/sh', paths.commandScript].map(systemdQuote).join(' ');
  return [
    '[Unit]',
    `Description=vps-test service ${spec.name}`,
    'After=network-online.target',
    // bounds restarts like the supervisor does: more than max+1 starts in 10 minutes = failed
    'StartLimitIntervalSec=600',
    `StartLimitBurst=${max + 1}`,
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${workdir}`,
    ...Object.entries(spec.env ?? {}).map(([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`),
    `ExecStart=${exec}`,
    `StandardOutput=append:${paths.log}`,
    `StandardError=append:${paths.log}`,
    'Restart=on-failure',
    'RestartSec=1',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${workdir}`,
    'PrivateTmp=yes',
    'KillMode=control-group',
    'TimeoutStopSec=10',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function writeFile(path: string, content: string): string {
  return `printf '%s' ${shellQuote(content)} > ${shellQuote(path)}`;
}

/** Common first part of a start: dirs, spec, command script, and the log's current size. */
function prepare(spec: ServiceSpec, paths: ServicePaths, workdir: string): string[] {
  const q = shellQuote;
  return [
    `mkdir -p ${q(`${workdir}/logs`)} ${q(`${workdir}/run`)}`,
    writeFile(paths.spec, `${JSON.stringify(spec)}\n`),
    writeFile(paths.commandScript, renderCommandScript(spec)),
    `touch ${q(paths.log)}`,
    // readiness looks only at what this start writes
    `printf 'offset=%s\\n' "$(wc -c < ${q(paths.log)} | tr -d ' ')"`,
  ];
}

/** Start without systemd: supervisor under setsid+nohup, inside the node's prefix. */
export function renderStartScript(spec: ServiceSpec, paths: ServicePaths, workdir: string, prefix: readonly string[]): string[] {
  const q = shellQuote;
  return [
    ...prepare(spec, paths, workdir),
    writeFile(paths.supervisor, renderSupervisor(spec, paths, workdir)),
    `rm -f ${q(paths.pid)} ${q(paths.child)} ${q(paths.exited)}`,
    `cd ${q(workdir)} && setsid nohup ${shellJoin([...prefix, '/bin/sh', paths.supervisor])} > /dev/null 2>&1 < /dev/null &`,
    `i=0; while [ ! -s ${q(paths.child)} ] && [ ! -s ${q(paths.exited)} ]; do i=$((i+1)); if [ $i -gt 200 ]; then echo "supervisor for ${spec.name} did not start within 10 s" >&2; exit 1; fi; sleep 0.05; done`,
    `printf 'pid=%s\\n' "$(cat ${q(paths.child)} 2>/dev/null)"`,
  ];
}

export function renderSystemdStartScript(spec: ServiceSpec, paths: ServicePaths, workdir: string, prefix: readonly string[]): string[] {
  const q = shellQuote;
  return [
    ...prepare(spec, paths, workdir),
    writeFile(paths.unitPath, renderUnit(spec, paths, workdir, prefix)),
    'systemctl daemon-reload',
    `systemctl reset-failed ${q(paths.unit)} 2>/dev/null || true`,
    `systemctl restart ${q(paths.unit)}`,
    `printf 'pid=%s\\n' "$(systemctl show -p MainPID --value ${q(paths.unit)})"`,
  ];
}

/**
 * Stop without systemd: TERM the supervisor's process group, wait, KILL what is left. A pid is
 * only killed if it is still our supervisor (pid reuse) or its group still exists. Idempotent.
 */
export function renderStopScript(paths: ServicePaths, graceMs: number): string {
  const q = shellQuote;
  const tries = Math.max(1, Math.ceil(graceMs / 50));
  return [
    `[ -s ${q(paths.pid)} ] || { echo stopped=none; exit 0; }`,
    `pg=$(cat ${q(paths.pid)})`,
    GROUP_FUNCTIONS,
    'ours=no',
    // a live leader must still be our supervisor (pids get reused); without a live leader, any
    // live member of its group/session is ours (a group id is not reused while members exist)
    'lead=$(sed "s/.*) //" /proc/$pg/stat 2>/dev/null | cut -d" " -f1)',
    `if [ -n "$lead" ] && [ "$lead" != Z ]; then grep -q -a -F ${q(paths.supervisor)} /proc/$pg/cmdline 2>/dev/null && ours=yes; elif alive; then ours=yes; fi`,
    'forced=0',
    'if [ $ours = yes ]; then',
    '  hit TERM',
    `  i=0; while alive; do i=$((i+1)); if [ $i -ge ${tries} ]; then hit KILL; forced=1; sleep 0.1; break; fi; sleep 0.05; done`,
    '  if alive; then echo "process group $pg survived SIGKILL" >&2; exit 1; fi',
    'fi',
    `rm -f ${q(paths.pid)} ${q(paths.child)}`,
    `printf 'stopped=%s\\nforced=%s\\nours=%s\\n' "$pg" "$forced" "$ours"`,
  ].join('\n');
}

export function renderSystemdStopScript(paths: ServicePaths): string {
  const q = shellQuote;
  // exit status 5: unit not loaded, i.e. nothing to stop
  return `systemctl stop ${q(paths.unit)} || [ $? -eq 5 ]`;
}

/** Prints key=value lines parsed by parseStatus. */
export function renderStatusScript(paths: ServicePaths): string {
  const q = shellQuote;
  return [
    `sup=$(cat ${q(paths.pid)} 2>/dev/null || true)`,
    `if [ -n "$sup" ] && kill -0 "$sup" 2>/dev/null && grep -q -a -F ${q(paths.supervisor)} /proc/$sup/cmdline 2>/dev/null; then :; else sup=; fi`,
    `child=$(cat ${q(paths.child)} 2>/dev/null || true)`,
    'if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then :; else child=; fi',
    `started=$(stat -c %Y ${q(paths.child)} 2>/dev/null || true)`,
    `printf 'supervisor=%s\\nchild=%s\\nnow=%s\\nstarted=%s\\nrestarts=%s\\nexited=%s\\n' "$sup" "$child" "$(date +%s)" "$started" "$(cat ${q(paths.restarts)} 2>/dev/null || true)" "$(cat ${q(paths.exited)} 2>/dev/null || true)"`,
  ].join('\n');
}

export function renderSystemdStatusScript(paths: ServicePaths): string {
  const q = shellQuote;
  return [
    `props=$(systemctl show -p ActiveState -p MainPID -p NRestarts -p ExecMainStartTimestampMonotonic -p ExecMainStatus ${q(paths.unit)} 2>/dev/null || true)`,
    'printf "%s\\n" "$props"',
    `printf 'uptime=%s\\n' "$(cut -d' ' -f1 /proc/uptime)"`,
  ].join('\n');
}

export interface ServiceStatus {
  running: boolean;
  /** The service's own process. */
  pid?: number;
  /** Supervisor (non-systemd), also the process group. */
  supervisorPid?: number;
  uptimeSeconds?: number;
  restarts: number;
  /** Last exit status once the service ended for good. */
  exitCode?: number;
}

function keyValues(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) map.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return map;
}

const num = (v: string | undefined): number | undefined => (v !== undefined && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

export function parseStatus(text: string): ServiceStatus {
  const kv = keyValues(text);
  const supervisorPid = num(kv.get('supervisor'));
  const pid = num(kv.get('child'));
  const now = num(kv.get('now'));
  const started = num(kv.get('started'));
  const exitCode = num(kv.get('exited'));
  const status: ServiceStatus = { running: supervisorPid !== undefined && pid !== undefined, restarts: num(kv.get('restarts')) ?? 0 };
  if (pid !== undefined) status.pid = pid;
  if (supervisorPid !== undefined) status.supervisorPid = supervisorPid;
  if (status.running && now !== undefined && started !== undefined) status.uptimeSeconds = Math.max(0, now - started);
  if (exitCode !== undefined && !status.running) status.exitCode = exitCode;
  return status;
}

export function parseSystemdStatus(text: string): ServiceStatus {
  const kv = keyValues(text);
  const pid = num(kv.get('MainPID'));
  const running = kv.get('ActiveState') === 'active' && pid !== undefined && pid > 0;
  const status: ServiceStatus = { running, restarts: num(kv.get('NRestarts')) ?? 0 };
  if (running) status.pid = pid;
  const startedUs = num(kv.get('ExecMainStartTimestampMonotonic'));
  const uptime = num(kv.get('uptime'));
  if (running && startedUs !== undefined && uptime !== undefined) status.uptimeSeconds = Math.max(0, Math.round(uptime - startedUs / 1e6));
  const exit = num(kv.get('ExecMainStatus'));
  if (!running && kv.get('ActiveState') === 'failed' && exit !== undefined) status.exitCode = exit;
  return status;
}

export function parseOutputValue(stdout: string, key: string): string | undefined {
  return keyValues(stdout).get(key);
}
