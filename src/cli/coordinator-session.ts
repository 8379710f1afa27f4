// An operator's connection to the coordinator, for the admin commands: it subscribes, so that it
// always holds the newest configuration (pushed by the coordinator), and sends the requests about
// servers. Only what the admin commands need; applications use the client (src/client/client.ts).

import { ClusterConfig, reviveConfig } from '../common/config';
import { decodeBody, Frame } from '../common/frame';
import * as m from '../common/messages';
import { MsgType, msgTypeName } from '../common/protocol';
import { ConditionWaiters } from '../common/waiters';
import { Link } from '../client/link';
import { Deadline } from '../client/deadline';

/** How long a request to the coordinator may take, connecting included. */
export const COORDINATOR_TIMEOUT_MS = 15_000;

export class CoordinatorSession {
  private config_: ClusterConfig | undefined;
  private lost: string | undefined;
  private nextId = 1n;
  private readonly waiters = new ConditionWaiters();
  private link!: Link;

  private constructor(private readonly address: string) {}

  /** Connects and subscribes; rejects with a one-line reason when the coordinator cannot be reached. */
  static async open(host: string, port: number, timeoutMs = COORDINATOR_TIMEOUT_MS): Promise<CoordinatorSession> {
    const s = new CoordinatorSession(`${host}:${port}`);
    try {
      s.link = await Link.open(host, port, timeoutMs, (f) => s.onConfig(f), (reason) => s.onGone(reason));
    } catch (e) {
      throw new Error(`cannot reach the coordinator at ${host}:${port}: ${(e as Error).message}`, { cause: e });
    }
    try {
      s.onConfig(await s.link.request(MsgType.CONFIG_SUBSCRIBE, s.id(), [], new Deadline('CONFIG_SUBSCRIBE', timeoutMs, undefined)));
      if (!s.config_) throw new Error('its reply to CONFIG_SUBSCRIBE holds no configuration');
    } catch (e) {
      s.close();
      throw new Error(`the coordinator at ${host}:${port} did not send its configuration: ${(e as Error).message}`, { cause: e });
    }
    return s;
  }

  private id(): bigint {
    return this.nextId++;
  }

  /** The newest configuration the coordinator sent. */
  get config(): ClusterConfig {
    return this.config_!;
  }

  private onConfig(f: Frame): void {
    if (f.type !== MsgType.CONFIG) return;
    const next = reviveConfig((decodeBody(f.body) as unknown[])[0]);
    if (this.config_ && next.version <= this.config_.version) return;
    this.config_ = next;
    this.waiters.notify();
  }

  private onGone(reason: string): void {
    this.lost = reason;
    this.waiters.notify();
  }

  /**
   * Waits until the configuration satisfies `holds` (true), or `timeoutMs` passes (false). Rejects
   * if the coordinator goes away meanwhile.
   */
  async waitFor(holds: (config: ClusterConfig) => boolean, timeoutMs: number): Promise<boolean> {
    const ok = await this.waiters.waitFor(() => this.lost !== undefined || holds(this.config), timeoutMs);
    if (this.lost !== undefined && !holds(this.config)) throw new Error(`lost the coordinator at ${this.address} (${this.lost})`);
    return ok;
  }

  /** SERVER_OFFLINE, SERVER_ONLINE or SERVER_FORGET: the coordinator's COORD_RESP. */
  async serverRequest(type: number, serverId: number, timeoutMs = COORDINATOR_TIMEOUT_MS): Promise<{ status: number; message: string }> {
    const f = await this.link.request(type, this.id(), m.encodeServerRequest(serverId), new Deadline(msgTypeName(type), timeoutMs, undefined));
    return m.decodeCoordResp(f.body);
  }

  close(): void {
    this.link.close();
  }
}
