// Entry point bundled into dist/cli.js.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
// Everything of ours is closed by now; if a stray handle (a socket a library forgot) would keep
// the process alive, leave anyway. unref: this timer never delays a clean exit.
setTimeout(() => process.exit(), 2000).unref();
