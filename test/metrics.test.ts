// --http-port: Prometheus /metrics and /healthz on a live coordinator and two daemons (one in each
// command-line spelling). The metrics text is read by a strict parser of the exposition format,
// and the operation counters must move by exactly what the client did.

import test from 'ava';
import { Client } from '../src/client/client';
import { startHttpEndpoint } from '../src/common/http-endpoint';
import { Registry } from 'prom-client';
import { CoordinatorProc, DaemonProc, runCommand, SharedScope, startCoordinator, startDaemon, tempDir } from './helpers/cluster';

const scope = new SharedScope();
let coord: CoordinatorProc;
let daemons: DaemonProc[];
let client: Client;

test.before(async () => {
  coord = await startCoordinator(scope, { httpPort: 0 });
  daemons = [await startDaemon(scope, coord, { httpPort: 0 }), await startDaemon(scope, coord, { httpPort: 0, legacy: true })];
  client = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 10_000 });
  await client.addSpace('space kv key k attributes string v, int n subspace n create 4 partitions tolerate 0 failures');
});

test.after.always(async () => {
  await client?.close();
  await scope.close();
});

// ---- a strict reader of the Prometheus text format (version 0.0.4) ---------------------------------

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** The family a sample belongs to: histogram and summary samples carry a suffix. */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(base) ?? '')) return base;
  }
  return undefined;
}

/** A value as Go's ParseFloat reads it (the format's rule): NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(text: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value '${text}' in: ${line}`);
  return Number(text);
}

/** Parses the labels inside {...}, escapes included; throws on anything malformed. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name) || text[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`expected ',' in: ${line}`);
      i++;
    }
  }
  return labels;
}

/** Every sample of an exposition; throws on a line that breaks the format, a sample of an undeclared family, or a series twice. */
function parseExposition(text: string): Sample[] {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const seen = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`bad comment: ${line}`);
        continue;
      }
      if (!NAME.test(m[2])) throw new Error(`bad metric name: ${line}`);
      if (m[1] === 'HELP') {
        if (helped.has(m[2])) throw new Error(`HELP twice: ${line}`);
        helped.add(m[2]);
      } else {
        if (types.has(m[2]) || !TYPES.has(m[3])) throw new Error(`bad or repeated TYPE: ${line}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    if (familyOf(m[1], types) === undefined) throw new Error(`sample of a family without TYPE: ${line}`);
    const labels = m[2] === undefined ? {} : parseLabels(m[2], line);
    const series = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(series)) throw new Error(`series twice: ${line}`);
    seen.add(series);
    samples.push({ name: m[1], labels, value: parseValue(m[3], line) });
  }
  checkHistograms(samples, types);
  return samples;
}

/** Buckets cumulative, ending with le="+Inf" equal to _count. */
function checkHistograms(samples: readonly Sample[], types: ReadonlyMap<string, string>): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const [key, buckets] of groups) {
      const bounds = buckets.map((b) => parseValue(b.labels.le, family));
      for (let i = 1; i < buckets.length; i++)
        if (bounds[i] <= bounds[i - 1] || buckets[i].value < buckets[i - 1].value) throw new Error(`${family}${key}: buckets not cumulative`);
      if (bounds[bounds.length - 1] !== Infinity) throw new Error(`${family}${key}: no +Inf bucket`);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
      if (!count || count.value !== buckets[buckets.length - 1].value) throw new Error(`${family}${key}: _count is not the +Inf bucket`);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------------

async function scrape(url: string): Promise<Sample[]> {
  const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`${url}/metrics: HTTP ${r.status}`);
  if (!/^text\/plain; version=0\.0\.4/.test(r.headers.get('content-type') ?? '')) throw new Error(`${url}/metrics: content-type ${r.headers.get('content-type')}`);
  return parseExposition(await r.text());
}

/** The sum of the samples named `name` whose labels include `labels`. */
function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

async function scrapeDaemons(): Promise<Sample[]> {
  return (await Promise.all(daemons.map((d) => scrape(d.httpUrl!)))).flat();
}

// ---- tests -----------------------------------------------------------------------------------------

test.serial('the daemons count operations by type and status, and time a sample of them', async (t) => {
  const before = await scrapeDaemons();
  const puts = 40;
  for (let i = 0; i < puts; i++) t.true(await client.put('kv', `key${i}`, { v: `value ${i}`, n: i }));
  for (let i = 0; i < puts; i++) t.truthy(await client.get('kv', `key${i}`));
  for (let i = 0; i < 3; i++) t.is(await client.get('kv', `absent${i}`), null);
  t.true(await client.del('kv', 'key0'));
  t.false(await client.del('kv', 'key0'));
  t.is(await client.count('kv', { n: 5 }), 1);
  const after = await scrapeDaemons();
  const delta = (labels: Record<string, string>) => total(after, 'hyperdex_daemon_operations_total', labels) - total(before, 'hyperdex_daemon_operations_total', labels);
  t.is(delta({ op: 'put', status: 'SUCCESS' }), puts);
  t.is(delta({ op: 'get', status: 'SUCCESS' }), puts);
  t.is(delta({ op: 'get', status: 'NOTFOUND' }), 3);
  t.is(delta({ op: 'del', status: 'SUCCESS' }), 1);
  t.is(delta({ op: 'del', status: 'NOTFOUND' }), 1);
  // A count goes to every daemon holding a region of the subspace it reads: one answer each.
  t.true(delta({ op: 'count', status: 'SUCCESS' }) >= 1);
  // One request in 16 is timed, per daemon: 85 requests over two daemons time at least (85 - 2 x 15) / 16.
  const timed = total(after, 'hyperdex_daemon_operation_latency_seconds_count') - total(before, 'hyperdex_daemon_operation_latency_seconds_count');
  t.true(timed >= 3, `timed ${timed}`);
  t.true(total(after, 'hyperdex_daemon_operation_latency_seconds_sum') > total(before, 'hyperdex_daemon_operation_latency_seconds_sum'));
  t.true(total(after, 'hyperdex_daemon_index_entries') >= puts - 1, 'every object is in the index of subspace n');
});

test.serial('the daemons report the configuration and the regions they head', async (t) => {
  const coordinator = await scrape(coord.httpUrl!);
  const version = total(coordinator, 'hyperdex_coordinator_config_version');
  const perDaemon = await Promise.all(daemons.map((d) => scrape(d.httpUrl!)));
  for (const [i, samples] of perDaemon.entries()) {
    t.is(total(samples, 'hyperdex_daemon_config_version'), version);
    t.is(total(samples, 'hyperdex_daemon_server_id'), daemons[i].serverId);
  }
  // Every region has a head (no replication: a chain of one), and the daemons head them all.
  t.is(total(perDaemon.flat(), 'hyperdex_daemon_regions_headed'), total(coordinator, 'hyperdex_coordinator_regions'));
  t.true(total(perDaemon.flat(), 'hyperdex_daemon_peer_messages_outstanding') >= 0);
});

test('the coordinator reports servers by state, spaces, regions and connected daemons', async (t) => {
  const samples = await scrape(coord.httpUrl!);
  t.is(total(samples, 'hyperdex_coordinator_servers', { state: 'available' }), 2);
  t.is(total(samples, 'hyperdex_coordinator_servers', { state: 'failed' }), 0);
  t.is(total(samples, 'hyperdex_coordinator_spaces'), 1);
  // The key subspace and subspace n, 4 partitions each.
  t.is(total(samples, 'hyperdex_coordinator_regions'), 8);
  t.is(total(samples, 'hyperdex_coordinator_daemons_connected'), 2);
  t.true(total(samples, 'hyperdex_coordinator_config_version') >= 2);
  t.true(samples.some((s) => s.name === 'process_cpu_seconds_total'), "prom-client's process metrics are there");
});

test('/healthz answers 200 with JSON on the coordinator and both daemons', async (t) => {
  for (const [url, role] of [[coord.httpUrl!, 'coordinator'], ...daemons.map((d) => [d.httpUrl!, 'daemon'])]) {
    const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    t.is(r.status, 200, url);
    const body = (await r.json()) as Record<string, unknown>;
    t.is(body.status, 'ok');
    t.is(body.role, role);
  }
});

test('/healthz answers 503 when the server says it is not serving', async (t) => {
  const http = await startHttpEndpoint({ host: '127.0.0.1', port: 0, registry: new Registry(), health: () => ({ ok: false, detail: { role: 'daemon' } }) });
  t.teardown(() => http.close());
  const r = await fetch(`http://127.0.0.1:${http.port}/healthz`, { signal: AbortSignal.timeout(10_000) });
  t.is(r.status, 503);
  t.deepEqual(await r.json(), { status: 'unavailable', role: 'daemon' });
});

test('the 0.4 coordinator spelling serves HTTP too', async (t) => {
  const legacy = await startCoordinator(t, { legacy: true, httpPort: 0 });
  const r = await fetch(`${legacy.httpUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
  t.is(r.status, 200);
  t.is(total(await scrape(legacy.httpUrl!), 'hyperdex_coordinator_spaces'), 0);
});

test('an HTTP port already taken stops the daemon with one line', async (t) => {
  // A coordinator of its own: the daemon registers before it fails, and the shared one's servers stay as they are.
  const own = await startCoordinator(t, { secret: false });
  const dir = tempDir(t, 'http-taken');
  const taken = new URL(coord.httpUrl!).port;
  const r = await runCommand('hyperdex', ['daemon', `--data=${dir}`, '--listen-port=0', `--coordinator-port=${own.port}`, `--http-port=${taken}`, '--logging=error']);
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`cannot serve HTTP on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`));
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

const BAD_HTTP_PORTS: [string, string[]][] = [
  ['hyperdex', ['coordinator', '--http-port', 'x']],
  ['hyperdex', ['coordinator', '--http-port=65536']],
  ['hyperdex', ['daemon', '--http-port=-1']],
  ['hyperdex', ['daemon', '--http-port=']],
  ['hyperdex-coordinator', ['--http-port', '1.5']],
  ['hyperdex-daemon', ['--http-port', 'eighty']],
];

for (const [cmd, args] of BAD_HTTP_PORTS) {
  test(`${cmd} ${args.join(' ')} fails with one line`, async (t) => {
    const r = await runCommand(cmd, args);
    // A bad command line exits 2, as every usage error does (run.ts).
    t.is(r.status, 2);
    t.regex(r.stderr, /--http-port must be a port number \(0-65535\), got '/);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
}
