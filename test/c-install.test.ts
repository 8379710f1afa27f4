// libhyperclient as a user gets it: `cmake --install build/native --prefix P` into a temporary
// prefix, then the installed tree is checked (files, SONAME, exported symbols, no C++ runtime, no
// writable global data) and test/c/install_phonebook.c, a program written from the 0.4 manual's
// chapter 7 alone, is built with pkg-config against the shared library and against the static one
// and run against a real coordinator and daemon.

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '../src/client/client';
import { execProgram, ExecResult as Result } from './helpers/exec';
import { ROOT, SharedScope, startCluster, tempDir } from './helpers/cluster';

const scope = new SharedScope();
test.after.always(async () => {
  await scope.close();
});

// The normal build (`npm install` makes it); the install rules are in native/cmake/library.cmake.
const BUILD = path.join(ROOT, 'build', 'native');
const PROGRAM = path.join(ROOT, 'test', 'c', 'install_phonebook.c');
const COMMAND_TIMEOUT_MS = 60_000;

const PHONEBOOK =
  'space phonebook\ndimensions username, first, last, phone (int64)\nkey username auto 1 1\nsubspace first, last, phone auto 1 1\n';


function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return execProgram(file, args, { env, timeoutMs: COMMAND_TIMEOUT_MS });
}

/** exec() that throws, with the output, unless the program exits 0. */
async function mustRun(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec(file, args, env);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

interface Installed {
  prefix: string;
  lib: string;
  pkgEnv: NodeJS.ProcessEnv;
}

// One install for the whole file, made by the first test that needs it.
let installed: Promise<Installed> | undefined;
function install(): Promise<Installed> {
  installed ??= (async () => {
    if (!fs.existsSync(path.join(BUILD, 'cmake_install.cmake'))) {
      throw new Error(`${BUILD} is not a configured CMake build: run \`sh scripts/build-native.sh\` first`);
    }
    const prefix = tempDir(scope, 'c-install');
    await mustRun('cmake', ['--install', BUILD, '--prefix', prefix]);
    const lib = path.join(prefix, 'lib');
    const pkgEnv = { ...process.env, PKG_CONFIG_PATH: path.join(lib, 'pkgconfig') };
    return { prefix, lib, pkgEnv };
  })();
  return installed;
}

/** Every path under `dir`, relative, sorted; symbolic links as `name -> target`. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isSymbolicLink()) out.push(`${r} -> ${fs.readlinkSync(path.join(dir, r))}`);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** The functions the installed hyperclient.h declares (a declaration starts its line with the name). */
function declaredFunctions(prefix: string): string[] {
  const header = fs.readFileSync(path.join(prefix, 'include', 'hyperclient.h'), 'utf8');
  return [...header.matchAll(/^(hyperclient_\w+)\(/gm)].map((m) => m[1]).sort();
}

async function exportedFunctions(lib: string): Promise<string[]> {
  const out = await mustRun('nm', ['-D', '--defined-only', path.join(lib, 'libhyperclient.so')]);
  // "ADDRESS TYPE NAME[@VERSION]"
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/).pop()!.replace(/@.*$/, ''))
    .sort();
}

async function needed(file: string): Promise<string[]> {
  const out = await mustRun('readelf', ['-d', '-W', file]);
  return [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

test.serial('cmake --install puts the headers, both libraries and hyperclient.pc under the prefix, and nothing else', async (t) => {
  const { prefix } = await install();
  t.deepEqual(listTree(prefix), [
    'include/hyperclient.h',
    'include/hyperclient_status.h',
    'include/hyperdex.h',
    'lib/libhyperclient.a',
    'lib/libhyperclient.so -> libhyperclient.so.0',
    'lib/libhyperclient.so.0 -> libhyperclient.so.0.4.0',
    'lib/libhyperclient.so.0.4.0',
    'lib/pkgconfig/hyperclient.pc',
  ]);
  // Every header the installed headers include with quotes is installed too.
  for (const h of ['hyperclient.h', 'hyperdex.h', 'hyperclient_status.h']) {
    const text = fs.readFileSync(path.join(prefix, 'include', h), 'utf8');
    for (const m of text.matchAll(/^#\s*include\s+"([^"]+)"/gm)) {
      t.true(fs.existsSync(path.join(prefix, 'include', m[1])), `${h} includes ${m[1]}, which is not installed`);
    }
  }
});

test.serial('the shared library is libhyperclient.so.0, needs no C++ runtime and exports only hyperclient.h functions', async (t) => {
  const { prefix, lib } = await install();
  const so = path.join(lib, 'libhyperclient.so');
  const dyn = await mustRun('readelf', ['-d', '-W', so]);
  t.regex(dyn, /\(SONAME\)\s+Library soname: \[libhyperclient\.so\.0\]/);
  const libs = await needed(so);
  t.log(`NEEDED: ${libs.join(', ')}`);
  t.false(libs.some((l) => /stdc\+\+|c\+\+|libgcc_s/.test(l)), `needs ${libs.join(', ')}`);
  t.true(libs.includes('libc.so.6'));

  const exported = await exportedFunctions(lib);
  const declared = new Set(declaredFunctions(prefix));
  t.log(`${exported.length} exported symbols, ${declared.size} functions declared`);
  t.true(exported.length > 0);
  t.deepEqual(
    exported.filter((n) => !declared.has(n)),
    [],
    'symbols exported beyond the functions hyperclient.h declares',
  );
});

test.serial('the shared library defines every function hyperclient.h declares', async (t) => {
  const { prefix, lib } = await install();
  const exported = new Set(await exportedFunctions(lib));
  t.deepEqual(
    declaredFunctions(prefix).filter((n) => !exported.has(n)),
    [],
    'declared in hyperclient.h but not defined by libhyperclient.so',
  );
});

test.serial('the library holds no writable global data (the manual: no global or per-thread state)', async (t) => {
  const { lib } = await install();
  // One section table per member of the archive; a member with a non-empty writable section
  // (.data, .bss, thread-locals, constructors) keeps state outside the hyperclient instances.
  const out = await mustRun('readelf', ['-S', '-W', path.join(lib, 'libhyperclient.a')]);
  const offenders: string[] = [];
  let member = '';
  let members = 0;
  for (const line of out.split('\n')) {
    const f = /^File: .*\((.+)\)$/.exec(line);
    if (f) {
      member = f[1];
      members++;
      continue;
    }
    // [Nr] Name Type Address Off Size ES Flg Lk Inf Al
    const s = /^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)\s+\d+\s+\d+\s+\d+\s*$/.exec(line);
    if (s && s[3].includes('W') && parseInt(s[2], 16) > 0) offenders.push(`${member}: ${s[1]} (${parseInt(s[2], 16)} bytes)`);
  }
  t.true(members >= 1, out);
  t.deepEqual(offenders, []);
});

async function pkgConfig(env: NodeJS.ProcessEnv, args: string[]): Promise<string[]> {
  return (await mustRun('pkg-config', args, env)).trim().split(/\s+/).filter((s) => s !== '');
}

const EXPECTED_LINES = ['done', 'first=John', 'last=Smith', 'phone=6075551024'];

test.serial('a chapter-7 program built with pkg-config runs against a cluster, linked shared and static', async (t) => {
  const { lib, pkgEnv } = await install();
  const work = tempDir(t, 'c-install-prog');
  const cflags = await pkgConfig(pkgEnv, ['--cflags', 'hyperclient']);
  const libs = await pkgConfig(pkgEnv, ['--libs', 'hyperclient']);
  t.deepEqual(await pkgConfig(pkgEnv, ['--modversion', 'hyperclient']), ['0.4.0']);
  const common = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-o'];

  // Shared: the documented way, with the library directory recorded as the program's run path.
  const shared = path.join(work, 'phonebook_shared');
  await mustRun('cc', [...cflags, PROGRAM, ...common, shared, ...libs, `-Wl,-rpath,${lib}`]);
  const sharedNeeds = await needed(shared);
  t.true(sharedNeeds.includes('libhyperclient.so.0'), `the shared build needs ${sharedNeeds.join(', ')}`);

  // Static: the archive named explicitly (-l:libhyperclient.a); pkg-config gives its directory.
  const staticBin = path.join(work, 'phonebook_static');
  const libdir = (await pkgConfig(pkgEnv, ['--variable=libdir', 'hyperclient']))[0];
  await mustRun('cc', [...cflags, PROGRAM, ...common, staticBin, `-L${libdir}`, '-l:libhyperclient.a']);
  const staticNeeds = await needed(staticBin);
  t.false(staticNeeds.some((l) => l.startsWith('libhyperclient')), `the static build needs ${staticNeeds.join(', ')}`);

  const { coord } = await startCluster(t);
  const client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  t.teardown(() => client.close());
  await client.addSpace(PHONEBOOK);

  for (const [bin, key] of [
    [shared, 'jsmith-shared'],
    [staticBin, 'jsmith-static'],
  ] as const) {
    const r = await exec(bin, ['127.0.0.1', String(coord.port), key]);
    t.is(r.code, 0, `${path.basename(bin)}: ${r.stdout}${r.stderr}`);
    t.deepEqual(r.stdout.trim().split('\n').sort(), EXPECTED_LINES, `${path.basename(bin)}: ${r.stdout}${r.stderr}`);
    // What the C program wrote is there for another client.
    t.deepEqual(await client.get('phonebook', key), { first: 'John', last: 'Smith', phone: 6075551024 });
  }
});
