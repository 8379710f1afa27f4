// The coordinator's frames as the core's requests and messages, both ways. Pure: the random bytes a
// request brings into the core (core-types.ts) come from the `random` the shell passes in.

import { Frame } from '../common/frame';
import * as m from '../common/messages';
import { MsgType, msgTypeName, PEER_AUTH, Status } from '../common/protocol';
import { CoordinatorOutgoing, CoordinatorRequest } from './core-types';

/**
 * The request a frame carries. A body that does not decode, or a type the coordinator does not
 * serve, becomes a `malformed` request, answered in its turn like any other; only an error other
 * than a ProtocolError (a bug) is thrown.
 */
export function decodeCoordinatorRequest(f: Frame, random: (bytes: number) => Buffer): CoordinatorRequest {
  try {
    switch (f.type) {
      case MsgType.CONFIG_SUBSCRIBE:
        m.decodeSubscribe(f.body);
        return { kind: 'subscribe' };
      case MsgType.REGISTER_HELLO:
        return { kind: 'register-hello', nonce: m.decodeRegisterHello(f.body).nonce, freshNonce: random(PEER_AUTH.nonceBytes) };
      case MsgType.DAEMON_REGISTER:
        return { kind: 'register', ...m.decodeRegister(f.body), freshKey: random(PEER_AUTH.keyBytes) };
      case MsgType.SPACE_ADD:
        return { kind: 'space-add', description: m.decodeSpaceAdd(f.body) };
      case MsgType.SPACE_RM:
        return { kind: 'space-rm', name: m.decodeSpaceRm(f.body) };
      case MsgType.SPACE_LIST:
        m.decodeSpaceList(f.body);
        return { kind: 'space-list' };
      case MsgType.REGION_MOVED:
        return { kind: 'region-moved', ...m.decodeRegionMoved(f.body) };
      case MsgType.SERVER_OFFLINE:
        return { kind: 'server-offline', ...m.decodeServerRequest(f.body, 'SERVER_OFFLINE') };
      case MsgType.SERVER_ONLINE:
        return { kind: 'server-online', ...m.decodeServerRequest(f.body, 'SERVER_ONLINE') };
      case MsgType.SERVER_FORGET:
        return { kind: 'server-forget', ...m.decodeServerRequest(f.body, 'SERVER_FORGET') };
      case MsgType.HEARTBEAT:
        m.decodeHeartbeat(f.body);
        return { kind: 'heartbeat' };
      default:
        return { kind: 'malformed', status: Status.BADREQUEST, message: `unknown message type ${msgTypeName(f.type)}` };
    }
  } catch (e) {
    if (e instanceof m.ProtocolError) return { kind: 'malformed', status: Status.BADREQUEST, message: e.message };
    throw e;
  }
}

/** A message's frame type and body. */
export function encodeCoordinatorMessage(message: CoordinatorOutgoing): { type: number; body: unknown[] } {
  switch (message.kind) {
    case 'config':
      return { type: MsgType.CONFIG, body: [message.config] };
    case 'registered':
      return { type: MsgType.DAEMON_REGISTERED, body: [message.serverId, message.peerKey] };
    case 'register-challenge':
      return { type: MsgType.REGISTER_CHALLENGE, body: [message.nonce, message.proof] };
    case 'peer-keys':
      return { type: MsgType.PEER_KEYS, body: m.encodePeerKeys(message.keys) };
    case 'heartbeat':
      return { type: MsgType.HEARTBEAT, body: m.encodeHeartbeat(message.failureTimeoutMs) };
    case 'coord-resp':
      return { type: MsgType.COORD_RESP, body: [message.status, message.message] };
    case 'space-list':
      return { type: MsgType.SPACE_LIST_RESP, body: [message.names] };
    case 'error':
      return { type: MsgType.ERROR, body: [message.status, message.message] };
  }
}
