// The benchmark's report helpers (bench/report.ts): pure, checked without running anything.

import test from 'ava';
import { floorNote } from '../bench/report';

const FLOOR = { entries_per_put: 3, batch_puts: 256, puts_per_s: 88_633, cpu_us_per_put: 19.08, latency_p50_us: 36.6, latency_p99_us: 80.1 };

test('floorNote gives the floor, the put ceiling beside Redis and the share of the floor reached', (t) => {
  const note = floorNote({ ...FLOOR, store: { puts_per_s: 29_154, cpu_us_per_put: 48.93, batch_puts: 256 } }, { uniform: 0.29, zipf: null }, { uniform: 24_000, zipf: 8_863 }, { uniform: 25.2, zipf: null }, { uniform: 40.1, zipf: null });
  t.regex(note, /3 LevelDB entries per put \(kv's\): 89k puts\/s at 256 per batch, 19\.08 µs CPU per put; one put awaited: p50 36\.6 µs, p99 80\.1 µs\./);
  t.regex(note, /through the daemon's store \(LevelDaemonStore\), no network: 29k puts\/s, 48\.93 µs CPU per put\./);
  t.regex(note, /allows at 4x64: 0\.29x \(uniform\), N\/A \(zipf\)\./);
  t.regex(note, /reached 27% \(uniform\), 10% \(zipf\) of the floor\./);
  t.regex(note, /1\.5x Redis's put p50 at 1x1, round trip included: 37\.8 µs \(uniform\), N\/A \(zipf\); the storage floor alone takes 36\.6 µs, and with HyperDex's get round trip at 1x1 added 76\.7 µs \(uniform\), N\/A \(zipf\)\./);
});

test('floorNote says N/A where the put was not measured', (t) => {
  const note = floorNote(FLOOR, { uniform: null }, { uniform: null }, { uniform: null }, { uniform: null });
  t.false(note.includes('LevelDaemonStore'));
  t.regex(note, /allows at 4x64: N\/A \(uniform\)\. HyperDex's put at 4x64 reached N\/A \(uniform\) of the floor\./);
});
