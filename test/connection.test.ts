// FramedConnection over a real loopback socket: the frames queued in a turn, small and big, by
// sendFrame and sendBody, reach the peer whole and in the order they were queued, turn after turn.

import test from 'ava';
import * as net from 'node:net';
import { connectTcp, FramedConnection } from '../src/common/connection';
import { encodeBody, Frame, frameOf } from '../src/common/frame';

interface Pair {
  sender: FramedConnection;
  received: Frame[];
  /** Resolves once `n` frames have arrived (bounded by a timeout). */
  arrived(n: number): Promise<void>;
  close(): void;
}

async function pair(): Promise<Pair> {
  const received: Frame[] = [];
  let wake: () => void = () => undefined;
  const server = net.createServer((socket) => {
    new FramedConnection(socket, {
      onFrame: (f) => {
        received.push(f);
        wake();
      },
      onClose: () => undefined,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const sender = new FramedConnection(await connectTcp('127.0.0.1', port, 5000), { onFrame: () => undefined, onClose: () => undefined });
  return {
    sender,
    received,
    arrived: (n) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${received.length} of ${n} frames arrived in 10 s`)), 10_000);
        wake = () => {
          if (received.length < n) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      }),
    close: () => {
      sender.close('test over');
      server.close();
    },
  };
}

/** A body of `n` bytes whose content says which frame it is. */
function bodyOf(i: number, n: number): Buffer {
  return encodeBody(['x'.repeat(n), i]);
}

test('frames queued in one turn and across turns arrive whole and in order, big ones included', async (t) => {
  const p = await pair();
  try {
    // Sizes around the slab's bounds (4 KiB, 64 KiB) and far beyond, mixed in one turn.
    const sizes = [10, 5000, 70_000, 3, 65_530, 200_000, 100, 4090, 1];
    let id = 0n;
    const sent: { id: bigint; body: Buffer }[] = [];
    for (const turn of [0, 1, 2]) {
      for (const [i, n] of sizes.entries()) {
        const body = bodyOf(turn * 100 + i, n);
        id++;
        sent.push({ id, body });
        // Every other frame as a header plus an encoded body, the others whole.
        if (i % 2 === 0) t.true(p.sender.sendBody(7, id, body));
        else t.true(p.sender.sendFrame(frameOf(7, id, body)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await p.arrived(sent.length);
    t.is(p.received.length, sent.length);
    for (const [i, f] of p.received.entries()) {
      t.is(f.type, 7);
      t.is(f.id, sent[i].id);
      t.true(f.body.equals(sent[i].body), `frame ${i}`);
    }
  } finally {
    p.close();
  }
});

test('many small replies in one turn share writes and keep their order', async (t) => {
  const p = await pair();
  try {
    const n = 5000;
    for (let i = 0; i < n; i++) p.sender.sendBody(3, BigInt(i), bodyOf(i, i % 300));
    await p.arrived(n);
    t.deepEqual(
      p.received.map((f) => f.id),
      Array.from({ length: n }, (_, i) => BigInt(i)),
    );
  } finally {
    p.close();
  }
});
