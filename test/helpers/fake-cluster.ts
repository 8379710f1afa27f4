// A fake coordinator and fake daemons in this process, for tests that need a daemon to fail at an
// exact moment: close the connection right after reading a request, or refuse connections. The
// configuration they publish has the shape of a real one (one space, its key subspace in one
// region) and differs from a real coordinator's only in who heads the region.

import * as net from 'node:net';
import { ClusterConfig, SpaceLayout } from '../../src/common/config';
import { encodeFrame, Frame, FrameDecoder } from '../../src/common/frame';
import { partitionSubspace } from '../../src/common/hyperspace';
import * as m from '../../src/common/messages';
import { MsgType, ServerState, Status } from '../../src/common/protocol';
import { parseSpaceDescription } from '../../src/common/schema-parser';

/** What stops a fake when the test ends (ava's `t`, or a SharedScope). */
export interface Owner {
  teardown(fn: () => unknown): void;
}

export interface FakeServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that hands each frame to `onFrame` with a way to answer it. */
export async function fakeServer(
  owner: Owner,
  onFrame: (f: Frame, send: (type: number, id: bigint, body: unknown) => void, sock: net.Socket) => void,
): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const dec = new FrameDecoder();
    sock.on('data', (d: Buffer) => {
      const { frames, error } = dec.push(d);
      for (const f of frames) if (!sock.destroyed) onFrame(f, (type, id, body) => sock.write(encodeFrame(type, id, body)), sock);
      if (error) sock.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  owner.teardown(close);
  return { port, close };
}

/** A port on 127.0.0.1 that refuses connections: one the kernel gave a listener that is closed again. */
export async function refusingPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const FAKE_SPACE = 'space unknown key k attributes int v create 1 partitions tolerate 0 failures';

/** The space of FAKE_SPACE, its one region headed by `head`. */
export function fakeSpace(head: number): SpaceLayout {
  const spec = parseSpaceDescription(FAKE_SPACE);
  const [box] = partitionSubspace(1, 1);
  return { id: 1, name: spec.name, spec, subspaces: [{ attributes: [spec.key.name], regions: [{ id: 1, ...box, replicas: [head] }] }] };
}

/** What a fake daemon with an empty store answers (RESP_GET NOTFOUND, every write SUCCESS, counts 0). */
export function emptyStoreAnswer(f: Frame): [number, unknown[]] | undefined {
  const ok = { status: Status.SUCCESS, attr: '', message: '' };
  switch (f.type) {
    case MsgType.REQ_GET:
      return [MsgType.RESP_GET, m.encodeGetResponse({ status: Status.NOTFOUND, attrs: [], message: '' })];
    case MsgType.REQ_ATOMIC:
      return [MsgType.RESP_ATOMIC, m.encodeWriteResponse(ok)];
    case MsgType.REQ_DEL:
      return [MsgType.RESP_DEL, m.encodeWriteResponse({ ...ok, status: Status.NOTFOUND })];
    case MsgType.REQ_SEARCH:
      return [MsgType.RESP_SEARCH_DONE, m.encodeCountResponse({ ...ok, count: 0 })];
    case MsgType.REQ_COUNT:
      return [MsgType.RESP_COUNT, m.encodeCountResponse({ ...ok, count: 0 })];
    case MsgType.REQ_GROUP_DEL:
      return [MsgType.RESP_GROUP_DEL, m.encodeCountResponse({ ...ok, count: 0 })];
    default:
      return undefined;
  }
}

/** How long the fake coordinator takes to answer SPACE_ADD. */
export const SPACE_ADD_MS = 100;

/** One request a fake daemon received: which daemon, the message type, how it was handled. */
export interface Received {
  readonly server: number;
  readonly type: number;
  readonly closed: boolean;
}

/**
 * How a fake daemon treats each request it reads: answer it as an empty store would, close the
 * connection without answering (after reading it whole), or answer and then close the connection.
 * `nth` counts this daemon's requests of that type, from 1.
 */
export type DaemonScript = (type: number, nth: number) => 'answer' | 'close' | 'answer and close';

export interface FakeCluster {
  readonly coordinatorPort: number;
  /** Every request the fake daemons read, in order. */
  readonly received: Received[];
  /** Publishes a new configuration in which server `head` heads the region. */
  moveTo(head: number): void;
  /** Resolves when the first client has subscribed to the configuration. */
  readonly subscribed: Promise<void>;
}

/**
 * A fake coordinator and fake daemons 1..N, one per entry of `daemons`: a script, or 'refuse' for
 * a daemon whose port refuses connections. Server 1 heads the region at first (configuration 1).
 */
export async function startFakeCluster(owner: Owner, daemons: readonly (DaemonScript | 'refuse')[]): Promise<FakeCluster> {
  const received: Received[] = [];
  const servers: ClusterConfig['servers'][number][] = [];
  for (const [i, script] of daemons.entries()) {
    const server = i + 1;
    let port: number;
    if (script === 'refuse') port = await refusingPort();
    else {
      const counts = new Map<number, number>();
      const daemon = await fakeServer(owner, (f, send, sock) => {
        const nth = (counts.get(f.type) ?? 0) + 1;
        counts.set(f.type, nth);
        const action = script(f.type, nth);
        received.push({ server, type: f.type, closed: action === 'close' });
        if (action === 'close') return void sock.destroy();
        const answer = emptyStoreAnswer(f);
        if (answer) send(answer[0], f.id, answer[1]);
        if (action === 'answer and close') sock.end();
      });
      port = daemon.port;
    }
    servers.push({ id: server, host: '127.0.0.1', port, state: ServerState.AVAILABLE });
  }
  let config: ClusterConfig = { version: 1, servers, spaces: [fakeSpace(1)] };
  const subscribers = new Set<net.Socket>();
  let onSubscribed!: () => void;
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  const coordinator = await fakeServer(owner, (f, send, sock) => {
    // A slow coordinator that takes any space: between two operations of a client, add_space
    // gives a daemon's close the time to reach it.
    if (f.type === MsgType.SPACE_ADD) return void setTimeout(() => send(MsgType.COORD_RESP, f.id, [Status.SUCCESS, '']), SPACE_ADD_MS);
    if (f.type !== MsgType.CONFIG_SUBSCRIBE) return;
    subscribers.add(sock);
    sock.once('close', () => subscribers.delete(sock));
    send(MsgType.CONFIG, f.id, [config]);
    onSubscribed();
  });
  return {
    coordinatorPort: coordinator.port,
    received,
    subscribed,
    moveTo(head: number) {
      config = { version: config.version + 1, servers, spaces: [fakeSpace(head)] };
      for (const s of subscribers) s.write(encodeFrame(MsgType.CONFIG, 0n, [config]));
    },
  };
}

/** The requests that change something at a daemon. */
export const WRITE_TYPES: ReadonlySet<number> = new Set([MsgType.REQ_ATOMIC, MsgType.REQ_DEL, MsgType.REQ_GROUP_DEL]);
