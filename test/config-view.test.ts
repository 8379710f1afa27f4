// The admin commands' views of a configuration (src/cli/config-view.ts), on configurations made by
// the coordinator's own transitions.

import test from 'ava';
import { PEER_AUTH } from '../src/common/protocol';
import { parseSpaceDescription } from '../src/common/schema-parser';
import { configView, formatConfig, unsettledRegions } from '../src/cli/config-view';
import { addSpace, INITIAL_STATE, registerServer, takeServerOffline } from '../src/coordinator/state';

const key = (n: number) => Buffer.alloc(PEER_AUTH.keyBytes, n);

function cluster() {
  let s = registerServer(INITIAL_STATE, 'daemon-a', '10.0.0.1', 2012, key(1)).state;
  const added = addSpace(s, parseSpaceDescription('space kv key k attributes int n subspace n create 2 partitions tolerate 0 failures'));
  if (!added.ok) throw new Error(added.reason);
  s = added.state;
  return s;
}

test('a region moving to a joining daemon, or without a daemon, is not settled; an unavailable head is', (t) => {
  const empty = addSpace(INITIAL_STATE, parseSpaceDescription('space e key k create 2 partitions tolerate 0 failures'));
  if (!empty.ok) throw new Error(empty.reason);
  t.deepEqual(unsettledRegions(empty.state.config), ['region 1 of space e has no daemon yet', 'region 2 of space e has no daemon yet']);

  const one = cluster();
  t.deepEqual(unsettledRegions(one.config), []);
  const two = registerServer(one, 'daemon-b', '10.0.0.2', 2012, key(2)).state;
  const moving = unsettledRegions(two.config);
  t.true(moving.length > 0);
  t.true(moving.every((line) => /^region \d+ of space kv is moving from server 1 to server 2$/.test(line)), moving.join('; '));
  const v = configView(two.config);
  t.false(v.stable);
  t.regex(formatConfig(v), /chain 1, moving to 2$/m);
  t.regex(formatConfig(v), /^not settled: \d+ region\(s\) moving or without a daemon$/m);

  const off = takeServerOffline(one, 1);
  if (!off.ok) throw new Error(off.reason);
  const offView = configView(off.state.config);
  t.true(offView.stable, 'a head taken offline is a state, not a change');
  t.true(offView.spaces[0].layout.every((ss) => ss.regions.every((r) => r.unavailable)));
  t.deepEqual(offView.servers, [{ id: 1, address: '10.0.0.1:2012', state: 'admin-offline', heads: 4 }]);
});
