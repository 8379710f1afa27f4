// npm run bench:search — what hyperspace hashing buys: 8 daemons, 100,000 objects in the phonebook
// schema, searches on one, two and all three attributes of the (first, last, phone) subspace and
// on a 1 % phone range; for each, the servers and regions contacted, searches/s and p50/p99
// latency, beside the same search forced to ask every region. Figures are printed and recorded in
// bench/results/. Real processes on 127.0.0.1; everything started is stopped.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Predicate } from '../src/client/client';
import { ROOT, SharedScope, startCoordinator, startDaemon } from '../test/helpers/cluster';
import { percentile } from './report';

const DAEMONS = Number(process.env.BENCH_DAEMONS ?? 8);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 100_000);
const SECONDS_PER_CASE = Number(process.env.BENCH_SECONDS ?? 5);
const SEARCHES_PER_CASE_MAX = 100_000;
const WINDOW = 256;
const FIRSTS = 100;
const LASTS = 1000;
const PHONE_BASE = 6_070_000_000;

interface Row {
  readonly name: string;
  readonly planned: boolean;
  readonly results: number;
  readonly servers: number;
  readonly regions: number;
  readonly searches: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function person(i: number): { first: string; last: string; phone: number } {
  return { first: `first${i % FIRSTS}`, last: `last${(i * 7919) % LASTS}`, phone: PHONE_BASE + i };
}

async function measure(c: Client, name: string, planned: boolean, predicate: () => Predicate): Promise<Row> {
  const latencies: number[] = [];
  let results = 0;
  const deadline = Date.now() + SECONDS_PER_CASE * 1000;
  const started = process.hrtime.bigint();
  while (Date.now() < deadline && latencies.length < SEARCHES_PER_CASE_MAX) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for await (const _ of c.search('phonebook', predicate())) n++;
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    results += n;
  }
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const contacts = c.lastSearchContacts()!;
  latencies.sort((a, b) => a - b);
  return {
    name,
    planned,
    results: Math.round(results / latencies.length),
    servers: contacts.servers,
    regions: contacts.regions,
    searches: latencies.length,
    perSecond: Math.round(latencies.length / elapsedS),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

async function main(): Promise<void> {
  const scope = new SharedScope();
  const cleanup = () => scope.close();
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const coord = await startCoordinator(scope);
    for (let i = 0; i < DAEMONS; i++) await startDaemon(scope, coord);
    const planned = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 60_000 });
    const everywhere = await Client.connect('127.0.0.1', coord.port, { timeoutMs: 60_000, planSearches: false });
    await planned.add_space(`space phonebook
dimensions username, first, last, phone (int64)
key username auto 3 1
subspace first, last, phone auto 3 1`);
    process.stdout.write(`loading ${OBJECTS} objects into ${DAEMONS} daemons...\n`);
    const loadStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < OBJECTS) {
          const i = next++;
          await planned.put('phonebook', `user${i}`, person(i));
        }
      }),
    );
    const loadS = (Date.now() - loadStart) / 1000;
    process.stdout.write(`loaded in ${loadS.toFixed(1)} s (${Math.round(OBJECTS / loadS)} puts/s)\n`);
    let k = 0;
    const pick = () => person((k++ * 104729) % OBJECTS);
    const cases: [string, () => Predicate][] = [
      ['first = x (1 attribute)', () => ({ first: pick().first })],
      ['first, last = x, y (2 attributes)', () => {
        const p = pick();
        return { first: p.first, last: p.last };
      }],
      ['first, last, phone (all 3)', () => pick()],
      ['phone in a 1 % range', () => {
        const lo = PHONE_BASE + ((k++ * 7919) % (OBJECTS - OBJECTS / 100));
        return { phone: [lo, lo + OBJECTS / 100] };
      }],
    ];
    const rows: Row[] = [];
    for (const [name, predicate] of cases) {
      rows.push(await measure(planned, name, true, predicate));
      rows.push(await measure(everywhere, name, false, predicate));
    }
    const header = ['search', 'plan', 'results', 'servers', 'regions', 'searches/s', 'p50 ms', 'p99 ms'];
    const table = [header, ...rows.map((r) => [r.name, r.planned ? 'hyperspace' : 'every region', r.results, r.servers, r.regions, r.perSecond, r.p50Ms, r.p99Ms].map(String))];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i])).join('  ') + '\n');
    const record = { date: new Date().toISOString(), daemons: DAEMONS, objects: OBJECTS, secondsPerCase: SECONDS_PER_CASE, loadPutsPerSecond: Math.round(OBJECTS / loadS), rows };
    const dir = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `search-${record.date.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
    process.stdout.write(`recorded in ${path.relative(ROOT, file)}\n`);
    await planned.close();
    await everywhere.close();
  } finally {
    await cleanup();
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:search: ${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
