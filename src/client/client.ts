// The TypeScript client. It follows the coordinator's configuration, sends each key operation to
// the daemon heading the key's region, and keeps many requests in flight on each connection.
// Method names follow the manuals: `condput` (0.4) and `cond_put` (1.0) are one operation, as are
// `del` and `delete`; camelCase spellings are there for TypeScript programs.

import { ClusterConfig, findServer, findSpace, keyRegion, reviveConfig, SpaceLayout } from '../common/config';
import { datatypeOf, isScalar, ScalarType, typeName } from '../common/datatypes';
import { funcMicroOps, operandType, scalarType } from '../common/operands';
import { planSearch } from '../common/planner';
import { decodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { AtomicFlag, CheckOp, FuncOp, LIMITS, MsgType, Status } from '../common/protocol';
import { SpaceSpec } from '../common/schema';
import { compareElements, decodeValue, defaultValueBytes, encodeValue, mapEntriesOf, readScalar, Scalar, StringMode, Value, ValueTypeError } from '../common/values';
import { ConditionWaiters } from '../common/waiters';
import { checkTimeoutMs, Deadline, OperationOptions } from './deadline';
import { HyperClientError } from './errors';
import { Link, LinkClosedError } from './link';
import { regionHead } from './unavailable';

export { AbortError, HyperClientError, statusCode } from './errors';
export type { OperationOptions } from './deadline';
export type { Value, Scalar } from '../common/values';
export type { SpaceSpec, AttributeSpec, SubspaceSpec } from '../common/schema';
export type { AttrType, ScalarType } from '../common/datatypes';

export type Key = string | Buffer | number | bigint;
/** Attributes by name. An array of pairs may name an attribute twice, which the server refuses (DUPEATTR). */
export type Attributes = Readonly<Record<string, Value>> | ReadonlyMap<string, Value> | ReadonlyArray<readonly [string, Value]>;
export type HyperObject = Record<string, Value>;

/** What one search contacted: the planner's subspace, the regions asked, the daemons asked. */
export interface SearchContacts {
  readonly subspace: number;
  readonly regions: number;
  servers: number;
}

export interface ClientOptions {
  /**
   * How long an operation may take, from its start to its result, retries included, before it
   * fails with TIMEOUT (default 30 s). An operation's own `timeoutMs` overrides it.
   */
  readonly timeoutMs?: number;
  /** How long opening one TCP connection may take (default 5 s); an operation's deadline bounds it too. */
  readonly connectTimeoutMs?: number;
  /** 'auto' (default): strings come back as text when valid UTF-8, else as Buffers; 'buffer': always Buffers. */
  readonly strings?: StringMode;
  /**
   * false asks every region of the key subspace on every search, as a system without hyperspace
   * hashing must; for benchmarks that compare the two. Default true: ask only the regions that can match.
   */
  readonly planSearches?: boolean;
}

/** Client.connect's options: the client's, and an AbortSignal for the wait for the configuration. */
export interface ConnectOptions extends ClientOptions {
  readonly signal?: AbortSignal;
}

/** Attempts of one operation (or rounds of a search, count or group_del) before it gives up, within its deadline. */
const RECONFIGURE_RETRIES_MAX = 5;
const CONFIG_WAIT_MS_MAX = 1000;
const COORDINATOR_RECONNECT_MS_MAX = 2000;

/**
 * Requests that change nothing, so that one whose connection was lost may be sent again. Every
 * other request to a daemon or the coordinator is a write: lost after it was sent, it ends with
 * UNKNOWNOUTCOME, since sending it again could apply it twice (an atomic_add, say).
 */
const READ_REQUESTS: ReadonlySet<number> = new Set([MsgType.REQ_GET, MsgType.REQ_SEARCH, MsgType.REQ_COUNT, MsgType.SPACE_LIST, MsgType.CONFIG_SUBSCRIBE]);

export class Client {
  private config: ClusterConfig | undefined;
  private coordinator: Promise<Link> | undefined;
  private readonly daemons = new Map<string, Promise<Link>>();
  /** Every link open now, the coordinator's while it subscribes included: close() closes them. */
  private readonly links = new Set<Link>();
  private readonly configWaiters = new ConditionWaiters();
  private nextId = 1n;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly strings: StringMode;
  private readonly planSearches: boolean;
  private reconnectDelayMs = 100;
  private lastContacts: SearchContacts | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    opts: ClientOptions = {},
  ) {
    this.timeoutMs = checkTimeoutMs(opts.timeoutMs ?? LIMITS.requestTimeoutMs, 'timeoutMs');
    this.connectTimeoutMs = checkTimeoutMs(opts.connectTimeoutMs ?? 5000, 'connectTimeoutMs');
    this.strings = opts.strings ?? 'auto';
    this.planSearches = opts.planSearches ?? true;
  }

  /** Creates a client and waits (within timeoutMs) until it holds the cluster's configuration. */
  static async connect(host: string, port: number, opts: ConnectOptions = {}): Promise<Client> {
    const c = new Client(host, port, opts);
    try {
      await c.currentConfig(c.deadline(`connecting to ${host}:${port}`, { signal: opts.signal }));
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  // ---- the configuration ---------------------------------------------------------------------

  private id(): bigint {
    return this.nextId++;
  }

  /** The deadline of one operation, named `what` in its errors. */
  private deadline(what: string, opts: OperationOptions | undefined): Deadline {
    const timeoutMs = opts?.timeoutMs === undefined ? this.timeoutMs : checkTimeoutMs(opts.timeoutMs, 'timeoutMs');
    if (opts?.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
    return new Deadline(what, timeoutMs, opts?.signal);
  }

  private coordinatorLink(): Promise<Link> {
    if (this.closed) return Promise.reject(new HyperClientError(Status.COORDFAIL, 'client is closed'));
    if (!this.coordinator) {
      const attempt = this.openLink(this.host, this.port, (f) => this.onConfigPush(f), () => {
        this.coordinator = undefined;
      }).then(
        async (link) => {
          try {
            // Shared by every operation waiting for it, each within its own deadline: this one is the client's.
            const reply = await link.request(MsgType.CONFIG_SUBSCRIBE, this.id(), [], new Deadline('subscribing to the configuration', this.timeoutMs, undefined));
            this.onConfigPush(reply);
          } catch (e) {
            link.close(); // no use without a subscription; the next operation opens another
            throw e;
          }
          this.reconnectDelayMs = 100;
          return link;
        },
        (err: Error) => {
          this.coordinator = undefined;
          throw new HyperClientError(Status.COORDFAIL, `cannot reach the coordinator: ${err.message}`);
        },
      );
      this.coordinator = attempt;
      attempt.catch(() => {});
    }
    return this.coordinator;
  }

  private onConfigPush(f: Frame): void {
    if (f.type !== MsgType.CONFIG) return;
    let next: ClusterConfig;
    try {
      next = reviveConfig((decodeBody(f.body) as unknown[])[0]);
    } catch {
      return; // a configuration we cannot read is no configuration; the next one may be better
    }
    if (this.config && next.version <= this.config.version) return;
    this.config = next;
    this.configWaiters.notify();
  }

  /** The latest configuration, fetching it first if the client has none. */
  private async currentConfig(d: Deadline): Promise<ClusterConfig> {
    await d.race(this.coordinatorLink(), `the coordinator at ${this.host}:${this.port}`);
    return this.config!;
  }

  /** Waits (at most CONFIG_WAIT_MS_MAX, and not past the deadline) for a configuration newer than `version`. */
  private async waitForConfigAfter(version: number, d: Deadline): Promise<void> {
    // Make sure the coordinator link is alive, so that a new configuration can arrive at all.
    this.coordinatorLink().catch(() => {});
    const newer = () => this.closed || (this.config !== undefined && this.config.version > version);
    await d.race(this.configWaiters.waitFor(newer, Math.min(CONFIG_WAIT_MS_MAX, d.remainingMs())), `a configuration newer than version ${version}`);
  }

  private async coordinatorCall(type: number, body: unknown[], d: Deadline): Promise<Frame> {
    let link: Link;
    try {
      link = await d.race(this.coordinatorLink(), `the coordinator at ${this.host}:${this.port}`);
    } catch (e) {
      // A caller that retries at once should not hammer a coordinator that is down (unless its own time is up).
      if (!d.ended()) await d.pause(Math.min((this.reconnectDelayMs *= 2), COORDINATOR_RECONNECT_MS_MAX));
      throw e;
    }
    try {
      return await link.request(type, this.id(), body, d);
    } catch (e) {
      throw this.unknownOutcome(e, type, d) ?? e;
    }
  }

  /**
   * UNKNOWNOUTCOME for a write whose connection was lost after it was sent (not when this client
   * closed it: then the operation fails with DISCONNECT, as every operation in flight does).
   */
  private unknownOutcome(e: unknown, type: number, d: Deadline): HyperClientError | undefined {
    if (!(e instanceof LinkClosedError) || !e.sent || READ_REQUESTS.has(type) || this.closed) return undefined;
    return new HyperClientError(Status.UNKNOWNOUTCOME, `${d.what}: ${e.message}; it may or may not have been applied`);
  }

  /**
   * Whether an attempt that failed with `e` may be made again: the error to report if the
   * operation gives up, or `e` (or UNKNOWNOUTCOME) thrown when it must end now. A request that
   * never reached a server (its daemon refused the connection, or the connection was already
   * closed) may be sent again, and so may a read whatever happened to it.
   */
  private retriable(e: unknown, type: number, d: Deadline): HyperClientError {
    const unknown = this.unknownOutcome(e, type, d);
    if (unknown) throw unknown;
    if (!this.closed && (e instanceof LinkClosedError || (e instanceof HyperClientError && e.status === Status.CONNECTFAIL))) return e;
    throw e;
  }

  // ---- spaces --------------------------------------------------------------------------------

  /**
   * Creates a space from a description in either grammar (0.4 `dimensions ...` or 1.0 `key ...
   * attributes ...`). Resolves with the coordinator's notes, e.g. that replicas were clamped.
   */
  async addSpace(description: string, opts?: OperationOptions): Promise<string[]> {
    const f = await this.coordinatorCall(MsgType.SPACE_ADD, [description], this.deadline('add_space', opts));
    const r = m.decodeCoordResp(f.body);
    if (r.status !== Status.SUCCESS) throw new HyperClientError(r.status, r.message);
    // The coordinator pushes the new configuration on this link before it replies, so it is here.
    return r.message === '' ? [] : r.message.split('\n');
  }

  async rmSpace(name: string, opts?: OperationOptions): Promise<void> {
    const f = await this.coordinatorCall(MsgType.SPACE_RM, [name], this.deadline(`rm_space ${name}`, opts));
    const r = m.decodeCoordResp(f.body);
    if (r.status !== Status.SUCCESS) throw new HyperClientError(r.status, r.message);
    // The coordinator pushes the new configuration on this link before it replies, so it is here.
  }

  async listSpaces(opts?: OperationOptions): Promise<string[]> {
    const f = await this.coordinatorCall(MsgType.SPACE_LIST, [], this.deadline('list_spaces', opts));
    const [names] = decodeBody(f.body) as [string[]];
    return names.map(String);
  }

  /** The schema of a space, as the coordinator holds it. */
  async describeSpace(name: string, opts?: OperationOptions): Promise<SpaceSpec> {
    return (await this.spaceInConfig(name, this.deadline(`describe_space ${name}`, opts))).layout.spec;
  }

  // ---- key operations ------------------------------------------------------------------------

  /** The object stored under `key`, or null when there is none. */
  async get(space: string, key: Key, opts?: OperationOptions): Promise<HyperObject | null> {
    return this.keyOperation(this.deadline(`get on ${space}`, opts), space, key, (layout, keyBytes, version) =>
      [MsgType.REQ_GET, m.encodeGet({ configVersion: version, spaceId: layout.id, key: keyBytes })] as const,
    (layout, f) => {
      const r = m.decodeGetResponse(f.body);
      if (r.status === Status.NOTFOUND) return done(null);
      if (r.status !== Status.SUCCESS) return r;
      const obj: HyperObject = {};
      for (const a of r.attrs) {
        const spec = layout.spec.attributes.find((x) => x.name === a.name);
        if (spec) obj[a.name] = decodeValue(spec.type, a.value, this.strings);
      }
      return done(obj);
    });
  }

  /** Sets the named attributes, creating the object (other attributes at their defaults) if needed. */
  async put(space: string, key: Key, attrs: Attributes, opts?: OperationOptions): Promise<boolean> {
    return this.write(this.deadline(`put on ${space}`, opts), space, key, 0, undefined, attrs, { [Status.SUCCESS]: true });
  }

  /** Creates the object only if there is none under the key: false when one exists. */
  async putIfNotExist(space: string, key: Key, attrs: Attributes, opts?: OperationOptions): Promise<boolean> {
    return this.write(this.deadline(`put_if_not_exist on ${space}`, opts), space, key, AtomicFlag.FAIL_IF_FOUND, undefined, attrs, { [Status.SUCCESS]: true, [Status.CMPFAIL]: false });
  }

  /** Sets `attrs` only if every attribute in `condition` equals the stored value: false otherwise, or when there is no object. */
  async condPut(space: string, key: Key, condition: Attributes, attrs: Attributes, opts?: OperationOptions): Promise<boolean> {
    return this.write(this.deadline(`cond_put on ${space}`, opts), space, key, AtomicFlag.FAIL_IF_NOT_FOUND, condition, attrs, {
      [Status.SUCCESS]: true,
      [Status.CMPFAIL]: false,
      [Status.NOTFOUND]: false,
    });
  }

  /** Removes the object: false when there was none. */
  async del(space: string, key: Key, opts?: OperationOptions): Promise<boolean> {
    return this.keyOperation(this.deadline(`del on ${space}`, opts), space, key, (layout, keyBytes, version) =>
      [MsgType.REQ_DEL, m.encodeGet({ configVersion: version, spaceId: layout.id, key: keyBytes })] as const,
    (_layout, f) => {
      const r = m.decodeWriteResponse(f.body);
      if (r.status === Status.SUCCESS) return done(true);
      if (r.status === Status.NOTFOUND) return done(false);
      return r;
    });
  }

  // ---- atomic read-modify-write operations ---------------------------------------------------
  // One method per entry of ATOMIC_OPERATIONS (below the class), e.g. c.atomic_add(space, key,
  // { i: 1 }) or c.map_atomic_add(space, key, { msi: { mapkey: 16 } }). Each changes all the
  // attributes it names or none; false when there is no object under the key. Each takes
  // OperationOptions as a last argument, as every operation does.

  /** The implementation behind every atomic method. */
  atomic(op: number, space: string, key: Key, attrs: Attributes, onMapValues: boolean, opts?: OperationOptions): Promise<boolean> {
    return this.keyOperation(
      this.deadline(`${atomicMethodName(op, onMapValues)} on ${space}`, opts),
      space,
      key,
      (layout, keyBytes, version) => {
        const funcs = encodeFuncs(layout.spec, op, attrs, onMapValues);
        checkMicroOps(layout.spec, [], funcs);
        return [MsgType.REQ_ATOMIC, m.encodeAtomic({ configVersion: version, spaceId: layout.id, key: keyBytes, flags: AtomicFlag.FAIL_IF_NOT_FOUND, checks: [], funcs })] as const;
      },
      (_layout, f) => {
        const r = m.decodeWriteResponse(f.body);
        if (r.status === Status.SUCCESS) return done(true);
        if (r.status === Status.NOTFOUND) return done(false);
        return r;
      },
    );
  }

  // ---- search ---------------------------------------------------------------------------------

  /**
   * Every object matching the predicate, key attribute included, as they arrive. A predicate maps
   * attributes to a value (equality) or, for strings and numbers, to [lower, upper]: lower <= value
   * < upper. Several attributes must all match; {} matches every object. The key may be named too.
   */
  search(space: string, predicate: Predicate, opts?: OperationOptions): AsyncIterableIterator<HyperObject> {
    return this.searchObjects(space, predicate, '', 0, false, opts);
  }

  /** The `limit` matches that sort first by `sortBy` ('ascending'/'min' or 'descending'/'max'). */
  sortedSearch(space: string, predicate: Predicate, sortBy: string, limit: number, order: SortOrder = 'ascending', opts?: OperationOptions): AsyncIterableIterator<HyperObject> {
    if (!Number.isInteger(limit) || limit < 1) throw new HyperClientError(Status.WRONGTYPE, `limit must be a positive integer, got ${limit}`);
    const descending = order === true || order === 'descending' || order === 'max';
    return this.searchObjects(space, predicate, sortBy, limit, descending, opts);
  }

  /** How many objects match. */
  async count(space: string, predicate: Predicate, opts?: OperationOptions): Promise<number> {
    return this.predicateCall(MsgType.REQ_COUNT, space, predicate, this.deadline(`count on ${space}`, opts));
  }

  /** Deletes every object that matches; resolves with how many were deleted. */
  async groupDel(space: string, predicate: Predicate, opts?: OperationOptions): Promise<number> {
    return this.predicateCall(MsgType.REQ_GROUP_DEL, space, predicate, this.deadline(`group_del on ${space}`, opts));
  }

  /**
   * What the most recent search, count or group_del contacted: the subspace the planner chose, how
   * many of its regions, and how many daemons (all attempts counted). For tests and benchmarks.
   */
  lastSearchContacts(): SearchContacts | undefined {
    return this.lastContacts;
  }

  /** The deadline counts from the first `next()`, when the search starts, to its last result. */
  private async *searchObjects(spaceName: string, predicate: Predicate, sortBy: string, limit: number, descending: boolean, opts: OperationOptions | undefined): AsyncIterableIterator<HyperObject> {
    const d = this.deadline(`${sortBy === '' ? 'search' : 'sorted_search'} on ${spaceName}`, opts);
    const { layout } = await this.spaceInConfig(spaceName, d);
    const checks = encodePredicate(layout.spec, predicate);
    if (sortBy !== '') sortKey(layout.spec, sortBy); // refuse a bad sort attribute before sending
    const queue: HyperObject[] = [];
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    // Each daemon's results are held until it reports success, so that a daemon that turns out not
    // to hold its regions any more (RECONFIGURE) contributes nothing and the regions are asked again.
    void this.fanOut(d, layout, checks, MsgType.REQ_SEARCH, (link, plan, body) => {
      const held: HyperObject[] = [];
      return link
        .stream(MsgType.REQ_SEARCH, this.id(), body, d, (f) => {
          if (f.type === MsgType.RESP_SEARCH_ITEMS) {
            for (const o of m.decodeSearchItems(f.body)) held.push(this.searchResult(plan, o));
            return false;
          }
          if (f.type !== MsgType.RESP_SEARCH_DONE) throw new HyperClientError(Status.SERVERERROR, `unexpected reply ${f.type} to a search`);
          return true;
        })
        .then((f) => {
          const r = m.decodeCountResponse(f.body);
          if (r.status === Status.SUCCESS) {
            queue.push(...held);
            wake?.();
          }
          return r;
        });
    }, { sortBy, limit, descending }).then(
      () => {
        finished = true;
        wake?.();
      },
      (e: Error) => {
        failure = e;
        wake?.();
      },
    );
    const results: HyperObject[] = [];
    for (;;) {
      while (queue.length > 0) {
        const o = queue.shift()!;
        if (sortBy === '') yield o;
        else results.push(o);
      }
      if (failure) throw failure;
      if (finished && queue.length === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (sortBy !== '') {
      const compare = sortKey(layout.spec, sortBy);
      const keyBytes = (o: HyperObject) => encodeValue(layout.spec.key.type, o[layout.spec.key.name]);
      // Ties go by key bytes, smallest first, as each daemon orders them: the merge does not depend on placement.
      results.sort((a, b) => (descending ? -compare(a, b) : compare(a, b)) || Buffer.compare(keyBytes(a), keyBytes(b)));
      yield* results.slice(0, limit);
    }
  }

  private searchResult(layout: SpaceLayout, o: m.SearchObject): HyperObject {
    const obj: HyperObject = { [layout.spec.key.name]: decodeValue(layout.spec.key.type, o.key, this.strings) };
    for (const a of o.attrs) {
      const spec = layout.spec.attributes.find((x) => x.name === a.name);
      if (spec) obj[a.name] = decodeValue(spec.type, a.value, this.strings);
    }
    return obj;
  }

  /**
   * Plans a search and asks the daemons heading the chosen regions, each about its own regions.
   * Regions whose daemon answers RECONFIGURE, cannot be reached, or (for a search or count) was
   * lost with the request on it are asked again under the next configuration (bounded), so every
   * region is answered exactly once. A group_del part lost after it was sent ends the call with
   * UNKNOWNOUTCOME.
   */
  private async fanOut(
    d: Deadline,
    first: SpaceLayout,
    checks: readonly m.WireCheck[],
    type: number,
    ask: (link: Link, layout: SpaceLayout, body: unknown[]) => Promise<m.CountResponse>,
    sort: { sortBy: string; limit: number; descending: boolean } = { sortBy: '', limit: 0, descending: false },
  ): Promise<number> {
    const plan = this.planSearches ? planSearch(first, checks) : { subspace: 0, regions: first.subspaces[0].regions };
    const pending = new Set(plan.regions.map((r) => r.id));
    const contacts: SearchContacts = { subspace: plan.subspace, regions: pending.size, servers: 0 };
    this.lastContacts = contacts;
    let total = 0;
    let last: HyperClientError | undefined;
    for (let attempt = 0; attempt < RECONFIGURE_RETRIES_MAX && pending.size > 0; attempt++) {
      d.check();
      const config = this.config!;
      const layout = findSpace(config, first.name);
      if (!layout || layout.id !== first.id) throw new HyperClientError(Status.UNKNOWNSPACE, `space ${first.name} was removed`);
      const byHead = new Map<number, number[]>();
      for (const r of layout.subspaces[plan.subspace].regions) {
        if (!pending.has(r.id)) continue;
        const found = regionHead(config, r, layout.name);
        if (!found.head) {
          if (found.final) throw found.error;
          last = found.error;
          d.heldUpBy(last);
          continue;
        }
        byHead.set(found.head.id, [...(byHead.get(found.head.id) ?? []), r.id]);
      }
      contacts.servers += byHead.size;
      const replies = await Promise.all(
        [...byHead].map(async ([id, regions]): Promise<{ regions: number[]; r: m.CountResponse } | { regions: number[]; again: HyperClientError }> => {
          const s = findServer(config, id)!;
          const base = { configVersion: config.version, spaceId: layout.id, checks, subspace: plan.subspace, regions };
          const body = type === MsgType.REQ_SEARCH ? m.encodeSearch({ ...base, ...sort }) : m.encodePredicateRequest(base);
          try {
            const link = await d.race(this.daemonLink(s.id, s.host, s.port), `a connection to daemon ${s.id} at ${s.host}:${s.port}`);
            return { regions, r: await ask(link, layout, body) };
          } catch (e) {
            // A region that changed hands is asked again, and so is one whose daemon could not be
            // reached or whose connection was lost (retriable says when); anything else fails the call.
            if (e instanceof HyperClientError && e.status === Status.RECONFIGURE) return { regions, again: e };
            return { regions, again: this.retriable(e, type, d) };
          }
        }),
      );
      for (const reply of replies) {
        if ('again' in reply) {
          last = reply.again;
          d.heldUpBy(last);
          continue;
        }
        const { regions, r } = reply;
        if (r.status === Status.SUCCESS) {
          total += r.count;
          for (const id of regions) pending.delete(id);
        } else if (r.status === Status.RECONFIGURE) {
          last = new HyperClientError(r.status, r.message);
          d.heldUpBy(last);
        } else throw new HyperClientError(r.status, r.message, r.attr || undefined);
      }
      if (pending.size > 0) await this.waitForConfigAfter(config.version, d);
    }
    if (pending.size > 0) throw last ?? new HyperClientError(Status.RECONFIGURE, `${pending.size} regions of ${first.name} could not be reached`);
    return total;
  }

  private async predicateCall(type: number, spaceName: string, predicate: Predicate, d: Deadline): Promise<number> {
    const { layout } = await this.spaceInConfig(spaceName, d);
    const checks = encodePredicate(layout.spec, predicate);
    return this.fanOut(d, layout, checks, type, async (link, _layout, body) => m.decodeCountResponse((await link.request(type, this.id(), body, d)).body));
  }

  // The manuals' spellings.
  sorted_search = this.sortedSearch;
  group_del = this.groupDel;
  put_if_not_exist = this.putIfNotExist;
  condput = this.condPut;
  cond_put = this.condPut;
  delete = this.del;
  add_space = this.addSpace;
  rm_space = this.rmSpace;
  list_spaces = this.listSpaces;

  private async write(
    d: Deadline,
    space: string,
    key: Key,
    flags: number,
    condition: Attributes | undefined,
    attrs: Attributes,
    results: Partial<Record<number, boolean>>,
  ): Promise<boolean> {
    return this.keyOperation(d, space, key, (layout, keyBytes, version) => {
      const checks = condition ? encodePredicate(layout.spec, condition) : [];
      const funcs = encodeAttributes(layout.spec, attrs, false).map((a) => ({ ...a, op: FuncOp.SET }));
      checkMicroOps(layout.spec, checks, funcs);
      return [MsgType.REQ_ATOMIC, m.encodeAtomic({ configVersion: version, spaceId: layout.id, key: keyBytes, flags, checks, funcs })] as const;
    }, (_layout, f) => {
      const r = m.decodeWriteResponse(f.body);
      const result = results[r.status];
      return result === undefined ? r : done(result);
    });
  }

  /**
   * Finds a space in the configuration. A space this client has not heard of may have been added
   * a moment ago by someone else: ask the coordinator for its latest configuration once before
   * reporting UNKNOWNSPACE.
   */
  private async spaceInConfig(name: string, d: Deadline): Promise<{ config: ClusterConfig; layout: SpaceLayout }> {
    let config = await this.currentConfig(d);
    let layout = findSpace(config, name);
    if (!layout) {
      this.onConfigPush(await this.coordinatorCall(MsgType.CONFIG_SUBSCRIBE, [], d));
      config = this.config!;
      layout = findSpace(config, name);
    }
    if (!layout) throw new HyperClientError(Status.UNKNOWNSPACE, `no space named ${name}`);
    return { config, layout };
  }

  /**
   * Routes one key operation to the head of the key's chain and interprets the reply. A reply that
   * says the configuration moved (RECONFIGURE), and a daemon that refuses the connection, are
   * retried under the next configuration (or after waiting up to CONFIG_WAIT_MS_MAX for one); a
   * connection lost before the request went out, or with a read on it, is retried at once (the
   * daemon may be back, or the connection was stale). Bounded in count and by the deadline. A write
   * lost after it was sent ends with UNKNOWNOUTCOME (retriable).
   */
  private async keyOperation<T>(
    d: Deadline,
    spaceName: string,
    key: Key,
    build: (layout: SpaceLayout, key: Buffer, version: number) => readonly [number, unknown[]],
    interpret: (layout: SpaceLayout, f: Frame) => Done<T> | Failed,
  ): Promise<T> {
    let last: HyperClientError | undefined;
    for (let attempt = 0; attempt < RECONFIGURE_RETRIES_MAX; attempt++) {
      d.check();
      const { config, layout } = await this.spaceInConfig(spaceName, d);
      const keyBytes = encodeKey(layout.spec, key);
      const [type, body] = build(layout, keyBytes, config.version);
      const region = keyRegion(layout, keyBytes);
      const found = regionHead(config, region, spaceName);
      const head = found.head;
      if (!head) {
        if (found.final) throw found.error;
        last = found.error;
      } else {
        let reply: Frame;
        try {
          const link = await d.race(this.daemonLink(head.id, head.host, head.port), `a connection to daemon ${head.id} at ${head.host}:${head.port}`);
          reply = await link.request(type, this.id(), body, d);
        } catch (e) {
          last = this.retriable(e, type, d);
          d.heldUpBy(last);
          if (last instanceof LinkClosedError) continue;
          await this.waitForConfigAfter(config.version, d);
          continue;
        }
        const r = interpret(layout, reply);
        if ('done' in r) return r.done;
        if (r.status !== Status.RECONFIGURE) throw new HyperClientError(r.status, r.message || 'operation failed', r.attr || undefined);
        last = new HyperClientError(r.status, r.message);
      }
      d.heldUpBy(last);
      await this.waitForConfigAfter(config.version, d);
    }
    throw last!;
  }

  private daemonLink(id: number, host: string, port: number): Promise<Link> {
    const name = `${id}@${host}:${port}`;
    let link = this.daemons.get(name);
    if (!link) {
      link = this.openLink(host, port, undefined, () => this.daemons.delete(name)).catch((e: Error) => {
        this.daemons.delete(name);
        throw new HyperClientError(Status.CONNECTFAIL, `cannot reach daemon ${id} at ${host}:${port}: ${e.message}`);
      });
      this.daemons.set(name, link);
    }
    return link;
  }

  /** Opens a link that close() will close, and closes it at once if the client was closed while it connected. */
  private async openLink(host: string, port: number, onPush: ((f: Frame) => void) | undefined, onGone: () => void): Promise<Link> {
    const link: Link = await Link.open(host, port, this.connectTimeoutMs, onPush, () => {
      this.links.delete(link);
      onGone();
    });
    if (this.closed) {
      link.close();
      throw new Error('the client was closed');
    }
    this.links.add(link);
    return link;
  }

  /**
   * Closes every connection, at once: operations in flight fail with DISCONNECT, later ones with
   * COORDFAIL. A connection still being opened is closed as soon as it opens.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.coordinator = undefined;
    this.daemons.clear();
    for (const link of [...this.links]) link.close();
    this.configWaiters.notify();
  }
}

/**
 * The atomic operations, one table for every surface: the wire operation and whether the
 * attributes name values inside maps ({ attr: { mapKey: operand } }).
 */
export const ATOMIC_OPERATIONS = {
  atomic_add: { op: FuncOp.NUM_ADD, onMapValues: false },
  atomic_sub: { op: FuncOp.NUM_SUB, onMapValues: false },
  atomic_mul: { op: FuncOp.NUM_MUL, onMapValues: false },
  atomic_div: { op: FuncOp.NUM_DIV, onMapValues: false },
  atomic_mod: { op: FuncOp.NUM_MOD, onMapValues: false },
  atomic_and: { op: FuncOp.NUM_AND, onMapValues: false },
  atomic_or: { op: FuncOp.NUM_OR, onMapValues: false },
  atomic_xor: { op: FuncOp.NUM_XOR, onMapValues: false },
  string_prepend: { op: FuncOp.STRING_PREPEND, onMapValues: false },
  string_append: { op: FuncOp.STRING_APPEND, onMapValues: false },
  /** Pushes one element onto the front of each named list. */
  list_lpush: { op: FuncOp.LIST_LPUSH, onMapValues: false },
  list_rpush: { op: FuncOp.LIST_RPUSH, onMapValues: false },
  set_add: { op: FuncOp.SET_ADD, onMapValues: false },
  set_remove: { op: FuncOp.SET_REMOVE, onMapValues: false },
  set_intersect: { op: FuncOp.SET_INTERSECT, onMapValues: false },
  set_union: { op: FuncOp.SET_UNION, onMapValues: false },
  /** Inserts or replaces the given entries of each named map. */
  map_add: { op: FuncOp.MAP_ADD, onMapValues: false },
  /** Removes the entries with the given keys (their values are ignored). */
  map_remove: { op: FuncOp.MAP_REMOVE, onMapValues: true },
  map_atomic_add: { op: FuncOp.NUM_ADD, onMapValues: true },
  map_atomic_sub: { op: FuncOp.NUM_SUB, onMapValues: true },
  map_atomic_mul: { op: FuncOp.NUM_MUL, onMapValues: true },
  map_atomic_div: { op: FuncOp.NUM_DIV, onMapValues: true },
  map_atomic_mod: { op: FuncOp.NUM_MOD, onMapValues: true },
  map_atomic_and: { op: FuncOp.NUM_AND, onMapValues: true },
  map_atomic_or: { op: FuncOp.NUM_OR, onMapValues: true },
  map_atomic_xor: { op: FuncOp.NUM_XOR, onMapValues: true },
  map_string_prepend: { op: FuncOp.STRING_PREPEND, onMapValues: true },
  map_string_append: { op: FuncOp.STRING_APPEND, onMapValues: true },
} as const;

export type AtomicMethod = keyof typeof ATOMIC_OPERATIONS;

/** The method of ATOMIC_OPERATIONS that does `op`, for errors. */
function atomicMethodName(op: number, onMapValues: boolean): string {
  const entry = Object.entries(ATOMIC_OPERATIONS).find(([, e]) => e.op === op && e.onMapValues === onMapValues);
  return entry ? entry[0] : `atomic operation ${op}`;
}

// The methods themselves, made from the table.
export interface Client extends Record<AtomicMethod, (space: string, key: Key, attrs: Attributes, opts?: OperationOptions) => Promise<boolean>> {}
for (const [name, { op, onMapValues }] of Object.entries(ATOMIC_OPERATIONS)) {
  Object.defineProperty(Client.prototype, name, {
    value: function (this: Client, space: string, key: Key, attrs: Attributes, opts?: OperationOptions) {
      return this.atomic(op, space, key, attrs, onMapValues, opts);
    },
    writable: true,
    configurable: true,
  });
}

/** What an interpreter makes of a reply: a result, or a failure status to report (or retry). */
type Done<T> = { readonly done: T };
type Failed = { readonly status: number; readonly attr?: string; readonly message: string };
const done = <T>(value: T): Done<T> => ({ done: value });

/** Encodes a key as the key attribute's type. An integer for a string key is packed as 8 bytes, as 0.4 did. */
export function encodeKey(spec: SpaceSpec, key: Key): Buffer {
  const t = spec.key.type;
  try {
    if (t.kind === 'string' && (typeof key === 'number' || typeof key === 'bigint')) return encodeValue({ kind: 'int64' }, key);
    return encodeValue(t, key);
  } catch (e) {
    if (e instanceof ValueTypeError) throw new HyperClientError(Status.WRONGTYPE, `key "${spec.key.name}" is ${typeName(t)}: ${e.message}`, spec.key.name);
    throw e;
  }
}

function attributePairs(attrs: Attributes): (readonly [string, Value])[] {
  if (attrs instanceof Map) return [...attrs.entries()];
  if (Array.isArray(attrs)) return attrs as (readonly [string, Value])[];
  if (attrs === null || typeof attrs !== 'object') throw new HyperClientError(Status.WRONGTYPE, 'attributes must be an object, a Map or an array of pairs');
  return Object.entries(attrs as Record<string, Value>);
}

/**
 * The limits the daemon enforces, checked before sending so that a program gets OVERFLOW at once:
 * `attributes` distinct attributes (the entries' count unless given) and each value's size.
 */
function checkRequestLimits(entries: readonly { name: string; value: Buffer }[], what: string, attributes = entries.length): void {
  if (attributes > LIMITS.attributesPerRequestMax) throw new HyperClientError(Status.OVERFLOW, `more than ${LIMITS.attributesPerRequestMax} ${what} in one request`);
  for (const e of entries)
    if (e.value.length > LIMITS.valueBytesMax) throw new HyperClientError(Status.OVERFLOW, `"${e.name}" is ${e.value.length} bytes, over the limit of ${LIMITS.valueBytesMax}`, e.name);
}

/**
 * A REQ_ATOMIC's micro-operations (checks, funcs and MAP_ADD's entries: funcMicroOps) against the
 * daemon's limit, checked before sending. A map operation on N keys counts N.
 */
function checkMicroOps(spec: SpaceSpec, checks: readonly m.WireCheck[], funcs: readonly m.WireFunc[]): void {
  let count = checks.length;
  for (const f of funcs) {
    const attr = spec.attributes.find((a) => a.name === f.name);
    count += attr ? funcMicroOps(f.op, attr.type, f.value, f.mapKey !== undefined) : 1;
  }
  if (count > LIMITS.microOpsPerRequestMax)
    throw new HyperClientError(Status.OVERFLOW, `${count} micro-operations (conditions, operations, map entries) in one request, over the limit of ${LIMITS.microOpsPerRequestMax}`);
}

/** A search predicate: attribute → value (equality) or [lower, upper] (lower <= value < upper). */
export type Predicate = Readonly<Record<string, Value | readonly [Scalar, Scalar]>>;
export type SortOrder = 'ascending' | 'descending' | 'min' | 'max' | boolean;

/** Encodes a predicate as checks; a 2-element array for a string or number attribute is a range. */
export function encodePredicate(spec: SpaceSpec, predicate: Predicate | Attributes): m.WireCheck[] {
  if (predicate === null || typeof predicate !== 'object')
    throw new HyperClientError(Status.WRONGTYPE, 'a predicate is an object mapping attribute names to values or [lower, upper] ranges');
  const out: m.WireCheck[] = [];
  for (const [name, v] of attributePairs(predicate as Attributes)) {
    const attr = name === spec.key.name ? spec.key : spec.attributes.find((a) => a.name === name);
    if (!attr) throw new HyperClientError(Status.UNKNOWNATTR, `"${name}" is not an attribute of space ${spec.name}`, name);
    const datatype = datatypeOf(attr.type);
    try {
      if (isScalar(attr.type) && Array.isArray(v)) {
        if (v.length !== 2) throw new ValueTypeError(`a range is [lower, upper], got ${v.length} elements`);
        out.push({ op: CheckOp.GREATER_EQUAL, name, datatype, value: encodeValue(attr.type, v[0]) });
        out.push({ op: CheckOp.LESS_THAN, name, datatype, value: encodeValue(attr.type, v[1]) });
      } else out.push({ op: CheckOp.EQUALS, name, datatype, value: encodeValue(attr.type, v) });
    } catch (e) {
      if (e instanceof ValueTypeError) throw new HyperClientError(Status.WRONGTYPE, `"${name}" is ${typeName(attr.type)}: ${e.message}`, name);
      throw e;
    }
  }
  checkRequestLimits(out, 'conditions');
  return out;
}

/** A comparison of search results by a string or number attribute (the key included). */
function sortKey(spec: SpaceSpec, sortBy: string): (a: HyperObject, b: HyperObject) => number {
  const attr = sortBy === spec.key.name ? spec.key : spec.attributes.find((a) => a.name === sortBy);
  if (!attr) throw new HyperClientError(Status.UNKNOWNATTR, `"${sortBy}" is not an attribute of space ${spec.name}`, sortBy);
  if (!isScalar(attr.type)) throw new HyperClientError(Status.WRONGTYPE, `cannot sort by "${sortBy}" (${typeName(attr.type)})`, sortBy);
  const t = attr.type;
  const bytes = (o: HyperObject) => encodeValue(t, o[sortBy]);
  return (a, b) => compareElements(readScalar(t.kind, bytes(a)), readScalar(t.kind, bytes(b)));
}

const OP_NAMES = new Map<number, string>(Object.entries(FuncOp).map(([k, v]) => [v, k.toLowerCase()]));

/** Encodes the operands of an atomic operation, checking names and types against the schema. */
export function encodeFuncs(spec: SpaceSpec, op: number, attrs: Attributes, onMapValues: boolean): m.WireFunc[] {
  const out: m.WireFunc[] = [];
  const seen = new Set<string>();
  for (const [name, value] of attributePairs(attrs)) {
    const attr = spec.attributes.find((a) => a.name === name);
    if (!attr) {
      const why = name === spec.key.name ? 'is the key and cannot be written' : `is not an attribute of space ${spec.name}`;
      throw new HyperClientError(Status.UNKNOWNATTR, `"${name}" ${why}`, name);
    }
    if (seen.has(name)) throw new HyperClientError(Status.DUPEATTR, `"${name}" appears twice`, name);
    seen.add(name);
    const want = operandType(op, attr.type, onMapValues);
    const opName = `${onMapValues ? 'map ' : ''}${OP_NAMES.get(op)}`;
    if (!want) throw new HyperClientError(Status.WRONGTYPE, `${opName} does not apply to "${name}" (${typeName(attr.type)})`, name);
    try {
      if (!onMapValues) {
        out.push({ op, name, datatype: datatypeOf(want), value: encodeValue(want, value) });
        continue;
      }
      const keyType = (attr.type as { key: ScalarType }).key;
      for (const [mapKey, operand] of mapEntriesOf(keyType, value)) {
        const bytes = op === FuncOp.MAP_REMOVE ? defaultValueBytes(want) : encodeValue(want, operand);
        out.push({ op, name, datatype: datatypeOf(want), value: bytes, mapKey: { datatype: datatypeOf(scalarType(keyType)), value: mapKey } });
      }
    } catch (e) {
      if (e instanceof ValueTypeError) throw new HyperClientError(Status.WRONGTYPE, `${opName} on "${name}" takes ${typeName(want)}: ${e.message}`, name);
      throw e;
    }
  }
  // Many funcs may name one map (one per map key): the attribute limit counts the names.
  checkRequestLimits(out, 'attributes', seen.size);
  return out;
}

/** Checks names and types against the schema and encodes the values. */
export function encodeAttributes(spec: SpaceSpec, attrs: Attributes, allowKey: boolean): m.WireAttr[] {
  const seen = new Set<string>();
  const out: m.WireAttr[] = [];
  const pairs = attributePairs(attrs);
  for (const [name, value] of pairs) {
    const attr = name === spec.key.name && allowKey ? spec.key : spec.attributes.find((a) => a.name === name);
    if (!attr) {
      const why = name === spec.key.name ? 'is the key and cannot be written' : `is not an attribute of space ${spec.name}`;
      throw new HyperClientError(Status.UNKNOWNATTR, `"${name}" ${why}`, name);
    }
    if (seen.has(name)) throw new HyperClientError(Status.DUPEATTR, `"${name}" appears twice`, name);
    seen.add(name);
    let bytes: Buffer;
    try {
      bytes = encodeValue(attr.type, value);
    } catch (e) {
      if (e instanceof ValueTypeError) throw new HyperClientError(Status.WRONGTYPE, `"${name}" is ${typeName(attr.type)}: ${e.message}`, name);
      throw e;
    }
    out.push({ name, datatype: datatypeOf(attr.type), value: bytes });
  }
  checkRequestLimits(out, 'attributes');
  return out;
}
