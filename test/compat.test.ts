// The compatibility suite (issue 6): every scenario in test/compat/*.jsonl run through the three JSON
// bridges of docs/bridge.md -- C (hyperclient-json-bridge over libhyperclient), Python
// (test/compat/bridge.py over `import hyperclient`) and TypeScript (test/compat/bridge.ts over
// src/client) -- against one real cluster of a coordinator and three daemons. Each bridge works in
// its own spaces ("%%" in a space name becomes the bridge's prefix), so the three run side by side.
// Each output must equal the scenario's expected file (written from the documented semantics) and
// the other bridges' outputs; differences.jsonl has one expected file per bridge instead.

import test, { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bridge, BRIDGES, BridgeRun, runBridge } from './helpers/bridges';
import { cTimeoutMs } from './helpers/cbuild';
import { ROOT, SharedScope, startCoordinator, startDaemon } from './helpers/cluster';

const DIR = path.join(ROOT, 'test/compat');

// One cluster for every scenario: the scenarios make and remove their own spaces.
const scope = new SharedScope();
let coordPort: Promise<number> | undefined;
function cluster(): Promise<number> {
  coordPort ??= (async () => {
    const coord = await startCoordinator(scope);
    for (let i = 0; i < 3; i++) await startDaemon(scope, coord);
    return coord.port;
  })();
  return coordPort;
}
test.after.always(() => scope.close());

/** The request lines of a scenario (what prints a line), for naming a mismatch. */
function requests(text: string): string[] {
  return text.split('\n').filter((l) => l.replace(/\r$/, '').trim() !== '' && !/^[ \t]*#/.test(l));
}

/** A readable account of the lines where `got` differs from `want`, each with its request. */
function diff(what: string, reqs: string[], want: string, got: string): string {
  const w = want.split('\n');
  const g = got.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    if (w[i] === g[i]) continue;
    const cut = (s: string | undefined) => (s === undefined ? '(no line)' : s.length > 400 ? `${s.slice(0, 400)}... (${s.length} chars)` : s);
    out.push(`line ${i + 1}: ${cut(reqs[i])}\n  - ${cut(w[i])}\n  + ${cut(g[i])}`);
    if (out.length >= 10) {
      out.push('(more lines differ)');
      break;
    }
  }
  return `${what}\n${out.join('\n')}`;
}

const scenarios = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.slice(0, -'.jsonl'.length))
  .sort();

test('the scenarios are there, each with its expected output', (t) => {
  for (const want of ['types', 'keyops', 'atomic', 'search', 'spaces', 'format', 'differences']) t.true(scenarios.includes(want), want);
  for (const s of scenarios) {
    const files = s === 'differences' ? BRIDGES.map((b) => `${s}.${b}.expected`) : [`${s}.expected`];
    for (const f of files) t.true(fs.existsSync(path.join(DIR, f)), f);
  }
});

test('python3 can import hyperclient, which the Python bridge runs over', (t) => {
  const r = spawnSync('python3', ['-c', 'import hyperclient'], { encoding: 'utf8', timeout: 30_000 });
  t.is(r.status, 0, r.stderr);
});

for (const name of scenarios) {
  test(`scenario ${name}: the C, Python and TypeScript bridges print the expected lines`, async (t: ExecutionContext) => {
    t.timeout(cTimeoutMs(180_000));
    const port = await cluster();
    const input = fs.readFileSync(path.join(DIR, `${name}.jsonl`), 'utf8');
    const reqs = requests(input);
    const expected = (b: Bridge) =>
      fs.readFileSync(path.join(DIR, name === 'differences' ? `${name}.${b}.expected` : `${name}.expected`), 'utf8');
    // in turn, not at once: the machine's cores are shared
    const results = {} as Record<Bridge, BridgeRun>;
    for (const b of BRIDGES) results[b] = await runBridge(b, port, input.replace(/%%/g, `${b}_`), cTimeoutMs(150_000));
    for (const b of BRIDGES) {
      const r = results[b];
      t.is(r.code, 0, `${b} bridge exit status; stderr:\n${r.err.slice(-2000)}`);
      const want = expected(b);
      if (r.out !== want) t.fail(diff(`${b} bridge against the expected output (- expected, + got):`, reqs, want, r.out));
      t.is(r.out.split('\n').length - 1, reqs.length, `${b}: one line per request`);
    }
    if (name !== 'differences') {
      // the bridges against each other, so that a disagreement shows even when the expected file is wrong
      for (const [a, b] of [['c', 'py'], ['c', 'ts']] as const) {
        if (results[a].out !== results[b].out) t.fail(diff(`${a} bridge against the ${b} bridge (- ${a}, + ${b}):`, reqs, results[a].out, results[b].out));
      }
    }
    t.pass();
  });
}
