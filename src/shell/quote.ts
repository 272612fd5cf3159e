// POSIX shell quoting. Every command we build from names, paths or user input goes through
// here, so a value can never be read by the remote shell as code.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument for a POSIX shell: bare when harmless, else single-quoted ('\'' for a quote). */
export function shellQuote(value: string): string {
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** argv -> one shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
