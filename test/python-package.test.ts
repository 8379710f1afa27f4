// The Python module as a distribution pip knows: `npm install` (scripts/build-python.sh) built the
// wheel build/python/hyperclient-VERSION-*.whl and installed it with pip for the python3 on PATH.
// pip reports it at the project's version, with the module file that python3 imports; and the
// same wheel goes through install, show, import and uninstall in a virtual environment of its own
// (so that the shared interpreter's installation is left alone).

import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execProgram, ExecResult as Result } from './helpers/exec';
import { ROOT, tempDir } from './helpers/cluster';

const COMMAND_TIMEOUT_MS = 60_000;
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;


/** From `/` (so that the source tree is not on sys.path). */
function exec(file: string, args: readonly string[]): Promise<Result> {
  return execProgram(file, args, { cwd: '/', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1' }, timeoutMs: COMMAND_TIMEOUT_MS });
}

async function mustRun(file: string, args: readonly string[]): Promise<string> {
  const r = await exec(file, args);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `pip show -f`'s fields, and its list of files. */
function parseShow(out: string): { fields: Map<string, string>; files: string[] } {
  const fields = new Map<string, string>();
  const files: string[] = [];
  let inFiles = false;
  for (const line of out.split('\n')) {
    if (inFiles && line.startsWith('  ')) files.push(line.trim());
    else {
      inFiles = line === 'Files:';
      const m = /^([\w-]+): ?(.*)$/.exec(line);
      if (m) fields.set(m[1], m[2]);
    }
  }
  return { fields, files };
}

/** What `python` imports as hyperclient: its __version__ and __file__. */
async function imported(python: string): Promise<{ version: string; file: string }> {
  const out = await mustRun(python, ['-c', 'import hyperclient; print(hyperclient.__version__); print(hyperclient.__file__)']);
  const [version, file] = out.trim().split('\n');
  return { version, file };
}

test('pip knows the installed hyperclient at the version of package.json, and it is the module python3 imports', async (t) => {
  const { fields, files } = parseShow(await mustRun('python3', ['-m', 'pip', 'show', '-f', 'hyperclient']));
  t.is(fields.get('Name'), 'hyperclient');
  t.is(fields.get('Version'), VERSION);
  const { version, file } = await imported('python3');
  t.is(version, VERSION);
  const location = fields.get('Location')!;
  t.true(
    files.some((f) => path.join(location, f) === file),
    `python3 imports ${file}, which is not among the files pip installed (${files.join(', ')} in ${location})`,
  );
});

test('the wheel installs, shows, imports and uninstalls with pip, offline, in a virtual environment', async (t) => {
  const dir = path.join(ROOT, 'build', 'python');
  const wheels = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^hyperclient-.*\.whl$/.test(f)) : [];
  t.is(wheels.length, 1, `expected one wheel in ${dir} (made by sh scripts/build-python.sh): ${wheels.join(', ')}`);
  t.true(wheels[0].startsWith(`hyperclient-${VERSION}-`), wheels[0]);
  const wheel = path.join(dir, wheels[0]);

  // Without pip of its own: the python3 on PATH's pip works on it (pip --python).
  const venv = tempDir(t, 'python-venv');
  await mustRun('python3', ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  const pip = ['-m', 'pip', '--python', python];

  await mustRun('python3', [...pip, 'install', '--no-index', '--no-deps', wheel]);
  const { fields } = parseShow(await mustRun('python3', [...pip, 'show', 'hyperclient']));
  t.is(fields.get('Version'), VERSION);
  const { version, file } = await imported(python);
  t.is(version, VERSION);
  t.true(file.startsWith(venv + path.sep), `imported from ${file}, not from the environment`);

  t.regex(await mustRun('python3', [...pip, 'uninstall', '--yes', 'hyperclient']), /Successfully uninstalled hyperclient-/);
  t.false(fs.existsSync(file), 'the module file is removed');
  const after = await exec(python, ['-c', 'import hyperclient']);
  t.not(after.code, 0);
  t.regex(after.stderr, /ModuleNotFoundError: No module named 'hyperclient'/);
  const show = await exec('python3', [...pip, 'show', 'hyperclient']);
  t.not(show.code, 0, 'pip no longer knows it');
});
