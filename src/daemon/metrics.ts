// A daemon's Prometheus metrics, read at scrape time from what the daemon keeps anyway: its reply
// counts (op-counts.ts), its configuration, its core's counts and its store's. Nothing is updated
// for the metrics on the request path beyond OpCounts.

import * as client from 'prom-client';
import { statusName } from '../common/protocol';
import { Daemon } from './daemon';
import { LATENCY_BOUNDS_S, LATENCY_BUCKETS, LATENCY_SAMPLE_EVERY, OP_NAMES, OpCounts, STATUS_SLOTS } from './op-counts';
import { LevelDaemonStore } from './store/level';

const LATENCY = 'hyperdex_daemon_operation_latency_seconds';
const LATENCY_HELP = `Time from a request's arrival to its reply, by operation, for one request in ${LATENCY_SAMPLE_EVERY} (sampled by arrival)`;

/**
 * A histogram whose buckets are counted elsewhere (OpCounts) and read when scraped; observe() is
 * never called. prom-client's registry formats a metric from getForPromString() (get() splays
 * that), so that is where the values are made.
 */
/** A line of a histogram as prom-client's registry formats it. */
type BucketValue = client.MetricValueWithName<string> & { sharedLabels: Record<string, string> };

class CountedHistogram extends client.Histogram<'op'> {
  constructor(private readonly counts: OpCounts) {
    super({ name: LATENCY, help: LATENCY_HELP, labelNames: ['op'], buckets: [...LATENCY_BOUNDS_S], registers: [] });
  }

  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: BucketValue[]; aggregator: 'sum' }> {
    const values: BucketValue[] = [];
    OP_NAMES.forEach((op, i) => {
      let cumulative = 0;
      for (let b = 0; b < LATENCY_BUCKETS; b++) {
        cumulative += this.counts.latencyBuckets[i * LATENCY_BUCKETS + b];
        const le = b < LATENCY_BOUNDS_S.length ? LATENCY_BOUNDS_S[b] : '+Inf';
        values.push({ metricName: `${LATENCY}_bucket`, labels: { op, le }, value: cumulative, sharedLabels: {} });
      }
      values.push({ metricName: `${LATENCY}_sum`, labels: { op }, value: this.counts.latencySumMs[i] / 1000, sharedLabels: {} });
      values.push({ metricName: `${LATENCY}_count`, labels: { op }, value: cumulative, sharedLabels: {} });
    });
    return Promise.resolve({ name: LATENCY, help: LATENCY_HELP, type: 'histogram', values, aggregator: 'sum' });
  }
}

/** A gauge whose value is read when scraped. */
function gauge(registry: client.Registry, name: string, help: string, read: () => number | undefined): void {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      if (v !== undefined) this.set(v);
    },
  });
}

/** The registry a daemon's /metrics serves. */
export function daemonRegistry(d: Daemon): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  new client.Counter({
    name: 'hyperdex_daemon_operations_total',
    help: 'Requests answered, by operation (put: every atomic write, conditional or not) and reply status',
    labelNames: ['op', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const replies = d.ops.replies;
      OP_NAMES.forEach((op, i) => {
        for (let slot = 0; slot < STATUS_SLOTS; slot++) {
          const n = replies[i * STATUS_SLOTS + slot];
          if (n === 0) continue;
          const code = OpCounts.statusOfSlot(slot);
          this.inc({ op, status: code === undefined ? 'OTHER' : statusName(code) }, n);
        }
      });
    },
  });
  registry.registerMetric(new CountedHistogram(d.ops));

  gauge(registry, 'hyperdex_daemon_config_version', 'Version of the configuration this daemon follows (0: none yet)', () => d.view.config.version);
  gauge(registry, 'hyperdex_daemon_server_id', 'This daemon\'s server id (0: not registered yet)', () => d.view.serverId);
  gauge(registry, 'hyperdex_daemon_regions_headed', 'Regions of every space whose chain this daemon heads', () => {
    const { config, serverId } = d.view;
    let n = 0;
    for (const space of config.spaces) for (const ss of space.subspaces) for (const r of ss.regions) if (serverId !== 0 && r.replicas[0] === serverId) n++;
    return n;
  });
  gauge(registry, 'hyperdex_daemon_key_slots', 'Keys with operations in progress in the core', () => d.view.core?.slots);
  gauge(registry, 'hyperdex_daemon_parked_requests', 'Requests waiting in the core (for a load, a configuration, a key busy with another write)', () => d.view.core?.parked);
  gauge(registry, 'hyperdex_daemon_peer_messages_outstanding', 'Messages to other daemons not yet acknowledged', () => d.view.core?.outstanding);
  gauge(registry, 'hyperdex_daemon_region_moves', 'Region moves this daemon is carrying out', () => d.view.core?.moves);
  gauge(registry, 'hyperdex_daemon_regions_awaiting_handoff', 'Regions this daemon heads that wait for the previous head\'s handoff', () => d.view.core?.awaitingHandoff);
  gauge(registry, 'hyperdex_daemon_index_entries', 'Entries of the secondary subspaces\' index held in memory (one per object per secondary subspace)', () => levelStore(d)?.memory.coords.size);
  gauge(registry, 'hyperdex_daemon_index_memory_bytes', 'Bytes of the arenas holding the in-memory index (live and garbage)', () => levelStore(d)?.memory.coords.arenaBytes().allocated);

  new client.Gauge({
    name: 'hyperdex_daemon_store_bytes',
    help: "LevelDB's estimate of the bytes on disk, by part (objects: the key subspace; index: the secondary subspaces); writes not yet flushed from its memtable are not counted",
    labelNames: ['part'],
    registers: [registry],
    async collect() {
      const store = levelStore(d);
      if (!store) return;
      const bytes = await store.approximateBytes().catch(() => undefined);
      if (!bytes) return;
      this.set({ part: 'objects' }, bytes.objects);
      this.set({ part: 'index' }, bytes.index);
    },
  });

  new client.Counter({
    name: 'hyperdex_daemon_search_regions_scanned_total',
    help: 'Regions read by searches, counts and group deletes',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(d.searchStats.regions);
    },
  });
  new client.Counter({
    name: 'hyperdex_daemon_search_rows_examined_total',
    help: 'Rows read by searches, counts and group deletes',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(d.searchStats.examined);
    },
  });
  return registry;
}

function levelStore(d: Daemon): LevelDaemonStore | undefined {
  const store = d.view.store;
  return store instanceof LevelDaemonStore ? store : undefined;
}
