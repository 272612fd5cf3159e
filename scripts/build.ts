// Bundles every entry point into dist/ (one file each) and writes the config's JSON Schema.
//   npm run build        write dist/ and schema/
//   npm run check-dist   build into a temp dir and fail when dist/ or schema/ differ (CI)
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderJsonSchema } from './json-schema.js';

const ENTRY_POINTS: Record<string, string> = {
  cli: 'src/cli/index.ts',
};
// Actions add themselves here: dist/actions/<name>.js from src/actions/<name>/index.ts.
if (existsSync('src/actions')) {
  for (const name of readdirSync('src/actions')) {
    if (existsSync(`src/actions/${name}/index.ts`)) ENTRY_POINTS[`actions/${name}`] = `src/actions/${name}/index.ts`;
  }
}

async function bundle(outdir: string): Promise<void> {
  await build({
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // ssh2's optional native addons are loaded in try/catch; leaving them out keeps dist portable.
    external: ['cpu-features', '*.node'],
    // CommonJS dependencies (ssh2 and its emscripten-built poly1305) expect require/__dirname.
    // __filename/__dirname go through `define` under other names: some ESM dependencies
    // (@actions/artifact's Azure SDK) declare their own top-level __filename.
    banner: {
      js: [
        "import { createRequire as __vpsCreateRequire } from 'node:module';",
        "import { fileURLToPath as __vpsFileURLToPath } from 'node:url';",
        "import { dirname as __vpsDirname } from 'node:path';",
        'const require = __vpsCreateRequire(import.meta.url);',
        'const __vpsFilename = __vpsFileURLToPath(import.meta.url);',
        'const __vpsDirnameOfFile = __vpsDirname(__vpsFilename);',
      ].join(' '),
    },
    define: { __filename: '__vpsFilename', __dirname: '__vpsDirnameOfFile' },
    legalComments: 'none',
    logLevel: 'warning',
    charset: 'utf8',
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  ).sort();
}

function compareTrees(expected: string, actual: string, label: string): string[] {
  const want = listFiles(expected);
  const have = listFiles(actual);
  const problems: string[] = [];
  for (const f of want) {
    if (!have.includes(f)) problems.push(`${label}/${f} is missing`);
    else if (!readFileSync(join(expected, f)).equals(readFileSync(join(actual, f)))) problems.push(`${label}/${f} differs from a fresh build`);
  }
  for (const f of have) if (!want.includes(f)) problems.push(`${label}/${f} is not produced by the build (stale file)`);
  return problems;
}

function writeSchema(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vps-test.schema.json'), renderJsonSchema());
}

const mode = process.argv[2];
if (mode === '--check') {
  const tmp = mkdtempSync(join(tmpdir(), 'vps-test-dist-'));
  try {
    await bundle(join(tmp, 'dist'));
    writeSchema(join(tmp, 'schema'));
    const problems = [...compareTrees(join(tmp, 'dist'), 'dist', 'dist'), ...compareTrees(join(tmp, 'schema'), 'schema', 'schema')];
    if (problems.length) {
      console.error(`dist/ or schema/ is out of date; run \`npm run build\` and commit:\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    } else console.log('dist/ and schema/ match a fresh build');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  rmSync('dist', { recursive: true, force: true });
  await bundle('dist');
  writeSchema('schema');
  console.log(`built ${Object.keys(ENTRY_POINTS).map((e) => `dist/${e}.js`).join(', ')} and schema/vps-test.schema.json`);
}
