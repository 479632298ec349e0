// connectUser with a server-made token, a dev token, and a token provider that refreshes an expired token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, sleep, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };

function assertOwnUser(me, id) {
  assert.equal(me.id, id, 'me.id');
  assert.ok(Array.isArray(me.mutes), 'me.mutes must be an array');
  assert.ok(Array.isArray(me.channel_mutes), 'me.channel_mutes must be an array');
  assert.ok(Array.isArray(me.devices), 'me.devices must be an array');
  assert.equal(typeof me.total_unread_count, 'number', 'me.total_unread_count');
  assert.equal(typeof me.unread_channels, 'number', 'me.unread_channels');
}

test('connectUser with a server-made token: health.check handshake with connection_id and me', T, async () => {
  const id = emu.uid('alice');
  const client = emu.client();
  const health = await withTimeout(
    client.connectUser({ id, name: 'Alice', favourite_color: 'teal' }, emu.serverToken(id)), 8000, 'connectUser');
  assert.equal(health.type, 'health.check');
  assert.equal(typeof health.connection_id, 'string');
  assert.ok(health.connection_id.length > 0, 'connection_id not empty');
  assert.equal(client._getConnectionID(), health.connection_id);
  assertOwnUser(health.me, id);
  // The user was upserted from user_details, custom fields flattened.
  assert.equal(health.me.name, 'Alice');
  assert.equal(health.me.favourite_color, 'teal');
  assert.equal(client.user.id, id);
  // A REST call with that token works and sees the upserted user.
  const res = await withTimeout(client.queryUsers({ id: { $eq: id } }), 5000, 'queryUsers');
  assert.equal(res.users.length, 1);
  assert.equal(res.users[0].favourite_color, 'teal');
  await client.disconnectUser(1000);
});

test('connectUser with a dev token (--allow-dev-tokens), padded base64 payload', T, async () => {
  // "alice"-like ids whose JSON payload needs "=" padding in standard base64.
  const id = `devuser-${Math.random().toString(36).slice(2, 7)}x`;
  const client = emu.client();
  const token = client.devToken(id);
  assert.match(token, /\.devtoken$/);
  const health = await withTimeout(client.connectUser({ id, name: 'Dev' }, token), 8000, 'connectUser(dev)');
  assertOwnUser(health.me, id);
  const res = await withTimeout(client.queryChannels({ members: { $in: [id] } }), 5000, 'queryChannels(dev)');
  assert.deepEqual(res, [], 'a new user has no channels');
  await client.disconnectUser(1000);
});

test('token provider: an expired token at WS connect is refreshed through the provider (code 40)', T, async () => {
  const id = emu.uid('expws');
  let calls = 0;
  const provider = async () => {
    calls += 1;
    // First call: already expired. Later calls: valid for an hour.
    const now = Math.floor(Date.now() / 1000);
    return emu.serverToken(id, calls === 1 ? now - 60 : now + 3600);
  };
  const client = emu.client();
  const health = await withTimeout(client.connectUser({ id }, provider), 9000, 'connectUser(provider)');
  assert.ok(calls >= 2, `the provider must be called again after code 40 (called ${calls} times)`);
  assertOwnUser(health.me, id);
  await client.disconnectUser(1000);
});

test('token provider: a token expiring mid-session is refreshed on the REST code 40 and the call retried', T, async () => {
  const id = emu.uid('exprest');
  const server = emu.server();
  await upsertUsers(server, [{ id }]);
  const cid = emu.uid('exp-ch');
  await createChannel(server, 'messaging', cid, { members: [id], created_by_id: id });
  let calls = 0;
  const provider = async () => {
    calls += 1;
    const now = Math.floor(Date.now() / 1000);
    return emu.serverToken(id, calls === 1 ? now + 2 : now + 3600);
  };
  const client = emu.client();
  await withTimeout(client.connectUser({ id }, provider), 8000, 'connectUser(provider)');
  assert.equal(calls, 1);
  await sleep(3200); // the first token is now expired
  const channels = await withTimeout(
    client.queryChannels({ members: { $in: [id] } }, [], { watch: false }), 4000, 'queryChannels after expiry');
  assert.equal(calls, 2, 'the REST code 40 must make the client load a fresh token exactly once');
  assert.deepEqual(channels.map((c) => c.id), [cid]);
  await client.disconnectUser(1000);
});
