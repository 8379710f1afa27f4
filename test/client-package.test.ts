// The TypeScript client as another project gets it: `npm run pack:client` packs it, a new project
// in a temporary directory outside the repository installs the tarball with npm, and the README's
// example (section "The TypeScript client"), written there as example.ts, is compiled with tsc
// against the package's type declarations and run with node against a live cluster: its output
// must be what the example's comments say.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execProgram, ExecResult as Result } from './helpers/exec';
import { ROOT, SharedScope, startCluster, tempDir } from './helpers/cluster';

const scope = new SharedScope();
test.after.always(async () => {
  await scope.close();
});

/** npm may have to ask the registry for msgpackr and @types/node when its cache lacks them. */
const NPM_INSTALL_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 60_000;
const PACKAGE = 'hyperdex-ts-client';


function exec(file: string, args: readonly string[], cwd: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<Result> {
  return execProgram(file, args, { cwd, timeoutMs });
}

async function mustRun(file: string, args: readonly string[], cwd: string, timeoutMs?: number): Promise<string> {
  const r = await exec(file, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const NPM = 'npm';
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

// One tarball for the file, packed by the documented command into a temporary directory.
let packed: Promise<{ tarball: string; unpacked: string }> | undefined;
function pack(): Promise<{ tarball: string; unpacked: string }> {
  packed ??= (async () => {
    const dest = tempDir(scope, 'client-pack');
    const out = await mustRun(NPM, ['run', '--silent', 'pack:client', '--', dest], ROOT);
    const tarball = out.trim().split('\n').pop()!;
    const unpacked = tempDir(scope, 'client-unpacked');
    await mustRun('tar', ['-xzf', tarball, '-C', unpacked], unpacked);
    return { tarball, unpacked: path.join(unpacked, 'package') };
  })();
  return packed;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

test.serial('the tarball holds the compiled client with declarations, and needs only msgpackr and Node', async (t) => {
  const { tarball, unpacked } = await pack();
  t.is(path.basename(tarball), `${PACKAGE}-${rootPackage.version}.tgz`);
  const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as Record<string, unknown>;
  t.is(manifest.name, PACKAGE);
  t.is(manifest.version, rootPackage.version, 'the package has the project version');
  t.deepEqual(manifest.dependencies, { msgpackr: rootPackage.dependencies.msgpackr });
  t.is(manifest.scripts, undefined, 'nothing runs at install time');
  t.is(manifest.gypfile, undefined);
  const files = filesUnder(unpacked);
  t.true(files.includes(manifest.main as string), `main ${String(manifest.main)} is in the package`);
  t.true(files.includes(manifest.types as string), `types ${String(manifest.types)} is in the package`);
  // Every module comes with its declarations, and nothing but modules, the manifest and the README is there.
  const modules = files.filter((f) => f.endsWith('.js'));
  t.deepEqual(
    files.filter((f) => f !== 'package.json' && f !== 'README.md' && !f.endsWith('.js')),
    modules.map((f) => f.replace(/\.js$/, '.d.ts')).sort(),
  );
  // Only the client's own modules and what they import: nothing of the servers, nothing native.
  t.deepEqual(
    modules.filter((f) => !/^dist\/(client|common)\/[\w-]+\.js$/.test(f)),
    [],
  );
  const required = new Set<string>();
  for (const f of modules) {
    for (const m of fs.readFileSync(path.join(unpacked, f), 'utf8').matchAll(/require\("([^"]+)"\)/g)) if (!m[1].startsWith('.')) required.add(m[1]);
  }
  t.deepEqual([...required].sort(), ['msgpackr', 'node:net']);
});

/** The README's TypeScript example: the first ```ts block of the section "The TypeScript client". */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('The TypeScript client'));
  if (!section) throw new Error('README.md has no section "The TypeScript client"');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(section);
  if (!block) throw new Error('the section "The TypeScript client" of README.md has no ```ts block');
  return block[1];
}

/** What the example says it prints: the comment at the end of each line that logs. */
function promisedOutput(example: string): string[] {
  return example
    .split('\n')
    .filter((l) => l.includes('console.log('))
    .map((l) => {
      const m = /\/\/ (.*)$/.exec(l);
      if (!m) throw new Error(`a line of the README's example logs without saying what: ${l}`);
      return m[1];
    });
}

test.serial("a project outside the repository installs the tarball, and the README's example compiles and runs", async (t) => {
  t.timeout(NPM_INSTALL_TIMEOUT_MS + 4 * COMMAND_TIMEOUT_MS);
  const { tarball } = await pack();
  const project = tempDir(t, 'client-project');
  const fromRoot = path.relative(ROOT, project);
  t.true(fromRoot.startsWith('..') || path.isAbsolute(fromRoot), `the project (${project}) is outside the repository`);
  // An ES module, so that the example may await at its top level.
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'phonebook-example', private: true, type: 'module' }, null, 2));
  await mustRun(
    NPM,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${rootPackage.devDependencies['@types/node']}`],
    project,
    NPM_INSTALL_TIMEOUT_MS,
  );
  const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', PACKAGE, 'package.json'), 'utf8')) as { version: string };
  t.is(installed.version, rootPackage.version);

  const example = readmeExample();
  t.regex(example, new RegExp(`from '${PACKAGE}'`), 'the example imports the package by its name');
  fs.writeFileSync(path.join(project, 'example.ts'), example);
  // The declarations are checked too (skipLibCheck false), as a strict project would.
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false }, files: ['example.ts'] }, null, 2),
  );
  await mustRun(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);

  // CommonJS programs get the same names through require().
  const cjs = await mustRun(process.execPath, ['-e', `const m = require('${PACKAGE}'); console.log(['Client', 'HyperClientError', 'AbortError', 'statusCode'].map((n) => typeof m[n]).join(' '))`], project);
  t.is(cjs.trim(), 'function function function function');

  const { coord } = await startCluster(t);
  const r = await exec(process.execPath, ['example.js', '127.0.0.1', String(coord.port)], project);
  t.is(r.code, 0, `${r.stdout}${r.stderr}`);
  t.is(r.stderr, '');
  t.deepEqual(r.stdout.trimEnd().split('\n'), promisedOutput(example));
});
