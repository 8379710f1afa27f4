// Micro-benchmark of SearchItemsShape.frameArena and MemoryIndex.rows (src/common/fastcodec.ts,
// src/daemon/memindex.ts): the server's work per row of an exact search, without the network.
// 1,000 rows of the benchmark's big space (key b<i>, v of 100 bytes, grp int64) in one list.
//   node dist/bench/frame-arena.js [rows=1000] [rounds=5000]
import { SearchItemsShape } from '../src/common/fastcodec';
import { MemoryIndex } from '../src/daemon/memindex';

const ROWS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5000);
const shape = new SearchItemsShape([
  { name: 'v', datatype: 8961 },
  { name: 'grp', datatype: 8962 },
]);
const idx = new MemoryIndex();
const coord = Buffer.from('2492492492492492', 'hex');
// Objects of other groups between them, as a load leaves the arena.
for (let i = 0; i < ROWS * 20; i++) {
  const values = [Buffer.alloc(100, 0x61), Buffer.alloc(8, i & 0xff)];
  const rec = Buffer.alloc(19 + values.reduce((n, v) => n + 4 + v.length, 0));
  rec[0] = 2;
  let off = 19;
  for (const v of values) {
    rec.writeUInt32BE(v.length, off);
    v.copy(rec, off + 4);
    off += 4 + v.length;
  }
  const c = i % 20 === 0 ? coord : Buffer.from([0x10, 0, 0, 0, 0, 0, 0, i % 20]);
  idx.set(1, 1, 3, Buffer.from(`b${i}`), c, rec);
}
const point = coord.readBigUInt64BE(0);
let bytes = 0;
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let r = 0; r < ROUNDS; r++) {
  const rows = idx.rows(1, 1, 3, point, point)!;
  bytes += shape.frameArena(0x33, BigInt(r), rows.arena, rows.pos, 0, rows.count).length;
}
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage(c0);
const us = Number(t1 - t0) / 1000 / ROUNDS;
console.log(JSON.stringify({ rows: ROWS, rounds: ROUNDS, us_per_search: +us.toFixed(1), cpu_us_per_search: +((c1.user + c1.system) / ROUNDS).toFixed(1), ns_per_row: +((us * 1000) / ROWS).toFixed(1), frame_bytes: bytes / ROUNDS }));
