// The shell side of binary distribution (docs/architecture.md, "Folders"): the scripts a node
// runs to report what it has, receive a stream and verify it, and the parser of its answer.
// Pure: text in, text out; artifact.ts does the transfer.
import path from 'node:path';
import { shellQuote } from '../shell/quote.js';
import { DECODERS, type Encoding } from './compress.js';

/**
 * `sha FILE` prints the file's sha256. openssl first: it uses the CPU's SHA extensions and is
 * ~3x faster than coreutils' sha256sum (32 MiB: 0.02 s vs 0.06 s here), which matters when
 * many nodes share few cores; sha256sum where openssl is missing.
 */
const SHA_FUNCTION = 'sha() { h=$(openssl dgst -sha256 -r "$1" 2>/dev/null) || h=$(sha256sum "$1") || return 1; echo "${h%% *}"; }';

/** Lines naming (as service=<spec file>) the service specs under <workdir>/run that mention `binary`. */
function serviceLines(binary: string, workdir: string): string {
  const q = shellQuote;
  return `for f in ${q(`${workdir}/run`)}/*.spec.json; do if [ -f "$f" ] && grep -q -F -- ${q(binary)} "$f"; then echo "service=$f"; fi; done`;
}

/** One round trip: the installed binary's sha256, whether zstd exists, services whose spec names it. */
export function renderCheckScript(binary: string, workdir: string): string {
  const q = shellQuote;
  return [
    SHA_FUNCTION,
    `if [ -f ${q(binary)} ]; then printf 'sha=%s\\n' "$(sha ${q(binary)})"; else echo sha=none; fi`,
    'if command -v zstd >/dev/null 2>&1; then echo zstd=yes; else echo zstd=no; fi',
    serviceLines(binary, workdir),
  ].join('\n');
}

export interface CheckResult {
  sha256: string;
  zstd: boolean;
  services: string[];
}

export function parseCheck(stdout: string): CheckResult {
  const out: CheckResult = { sha256: '', zstd: false, services: [] };
  for (const line of stdout.split('\n')) {
    const [key, ...rest] = line.split('=');
    const value = rest.join('=').trim();
    if (key === 'sha') out.sha256 = value;
    else if (key === 'zstd') out.zstd = value === 'yes';
    else if (key === 'service') {
      const name = /\/([^/]+)\.spec\.json$/.exec(value)?.[1];
      if (name) out.services.push(name);
    }
  }
  return out;
}

/** Lines that check the temp file "$t" against the expected sha256, make it executable, and optionally install it. */
function verifyLines(sha256: string, binary: string, install: string): string[] {
  return [
    'got=$(sha "$t")',
    `if [ "$got" != ${shellQuote(sha256)} ]; then echo "sha256 of the received file is $got, expected ${sha256}" >&2; exit 3; fi`,
    'chmod 755 "$t"',
    `if ${install}; then mv -f "$t" ${shellQuote(binary)}; fi`,
  ];
}

/**
 * Receives the binary (encoded on stdin, or already uploaded to `tmp` with sftp), checks its
 * sha256, makes it executable, and, when `install` is set, renames it into place.
 */
export function renderReceiveScript(o: { binary: string; tmp: string; sha256: string; decoder?: string; install: boolean }): string {
  const q = shellQuote;
  return [
    'set -e',
    SHA_FUNCTION,
    `mkdir -p ${q(path.posix.dirname(o.binary))}`,
    `t=${q(o.tmp)}`,
    `trap '[ $? -eq 0 ] || rm -f "$t"' EXIT`,
    ...(o.decoder ? [`${o.decoder} > "$t"`] : []),
    ...verifyLines(o.sha256, o.binary, o.install ? 'true' : 'false'),
  ].join('\n');
}

/**
 * The one exec per node. Prints sha=<installed sha256 | none>; ends there (exit 0) when it is
 * already `sha256`. Else prints zstd=yes|no, service=<spec> lines and `ready`, reads the
 * controller's decision line "<encoding> install|keep" (end of stdin: nothing to do), and
 * receives the binary as renderReceiveScript does. Exit 3: the received file has another sha256.
 */
export function renderDeployScript(o: { binary: string; tmp: string; sha256: string; workdir: string }): string {
  const q = shellQuote;
  const decoders = (Object.keys(DECODERS) as Encoding[]).map((e) => `${e}) dec=${q(DECODERS[e])} ;;`).join(' ');
  return [
    'set -e',
    SHA_FUNCTION,
    `t=${q(o.tmp)}`,
    'have=none',
    `if [ -f ${q(o.binary)} ]; then have=$(sha ${q(o.binary)}); fi`,
    'echo "sha=$have"',
    `if [ "$have" = ${q(o.sha256)} ]; then exit 0; fi`,
    'if command -v zstd >/dev/null 2>&1; then echo zstd=yes; else echo zstd=no; fi',
    serviceLines(o.binary, o.workdir),
    'echo ready',
    'read -r how mode || exit 0',
    `case "$how" in ${decoders} *) echo "unknown encoding \\"$how\\"" >&2; exit 2 ;; esac`,
    `mkdir -p ${q(path.posix.dirname(o.binary))}`,
    `trap '[ $? -eq 0 ] || rm -f "$t"' EXIT`,
    '$dec > "$t"',
    ...verifyLines(o.sha256, o.binary, '[ "$mode" = install ]'),
  ].join('\n');
}
