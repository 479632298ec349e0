// queryChannels: filters (members $in, type, $or, last_message_at ranges, custom fields), multi-field
// sort and offset pagination.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, expectApiError, sendAs, sleep, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };

const q = emu.uid('quinn');     // the querying user
const other = emu.uid('olga');  // a user with a channel quinn must never see
const ids = {};                 // logical name -> channel id
const lastMessageAt = {};       // logical name -> last_message_at of the channel (ISO string)
let client;

// name, type, color, priority, carries a message (in this order of sending)
const layout = [
  ['m1', 'messaging', 'red', 1, true],
  ['m2', 'messaging', 'blue', 2, true],
  ['m3', 'messaging', 'blue', 1, true],
  ['m4', 'messaging', 'green', 3, true],
  ['t1', 'team', 'red', 2, false],
  ['t2', 'team', 'green', 3, true],
];

before(async () => {
  await emu.started;
  const server = emu.server();
  await upsertUsers(server, [{ id: q, name: 'Quinn' }, { id: other, name: 'Olga' }]);
  for (const [name, type, color, priority] of layout) {
    ids[name] = emu.uid(`qc-${name}`);
    await createChannel(server, type, ids[name], { members: [q, other], created_by_id: other, color, priority });
  }
  ids.x1 = emu.uid('qc-x1');
  await createChannel(server, 'messaging', ids.x1, { members: [other], created_by_id: other, color: 'red', priority: 3 });
  await sendAs(server, 'messaging', ids.x1, other, { text: 'not for quinn' });
  for (const [name, type, , , hasMessage] of layout) {
    if (!hasMessage) continue;
    await sleep(15); // distinct, increasing last_message_at values
    const msg = await sendAs(server, type, ids[name], other, { text: `hello ${name}` });
    lastMessageAt[name] = msg.created_at;
  }
  client = emu.client();
  await withTimeout(client.connectUser({ id: q }, emu.serverToken(q)), 8000, 'connectUser(quinn)');
}, { timeout: 30_000 });

const nameOf = (channel) => Object.keys(ids).find((k) => ids[k] === channel.id) ?? `?${channel.id}`;

async function query(filter, sort = [], options = {}) {
  const channels = await withTimeout(
    client.queryChannels(filter, sort, { watch: false, state: true, ...options }), 5000,
    `queryChannels ${JSON.stringify(filter)}`);
  return channels.map(nameOf);
}
const mine = (extra) => ({ members: { $in: [q] }, ...extra });
const sorted = (a) => [...a].sort();

test('filter members $in: exactly the member channels, never others', T, async () => {
  assert.deepEqual(sorted(await query(mine())), ['m1', 'm2', 'm3', 'm4', 't1', 't2']);
  // Olga's own channel x1 matches this filter but quinn may not read it.
  assert.deepEqual(sorted(await query({ members: { $in: [other] } })), ['m1', 'm2', 'm3', 'm4', 't1', 't2'],
    'a user only sees channels it is a member of');
});

test('filter type ($eq and $in)', T, async () => {
  assert.deepEqual(sorted(await query(mine({ type: 'team' }))), ['t1', 't2']);
  assert.deepEqual(sorted(await query(mine({ type: { $in: ['messaging'] } }))), ['m1', 'm2', 'm3', 'm4']);
});

test('filter $or over custom fields', T, async () => {
  const got = await query(mine({ $or: [{ color: 'red' }, { priority: { $gte: 3 } }] }));
  assert.deepEqual(sorted(got), ['m1', 'm4', 't1', 't2']);
});

test('filter last_message_at ranges', T, async () => {
  const a = await query(mine({ last_message_at: { $gte: lastMessageAt.m2, $lte: lastMessageAt.m4 } }));
  assert.deepEqual(sorted(a), ['m2', 'm3', 'm4']);
  const b = await query(mine({ last_message_at: { $gt: lastMessageAt.m2, $lt: lastMessageAt.t2 } }));
  assert.deepEqual(sorted(b), ['m3', 'm4']);
  const c = await query(mine({ last_message_at: { $lt: lastMessageAt.m1 } }));
  assert.deepEqual(c, [], 'nothing is older than the first message; t1 (no message) must not match');
});

test('filter custom fields ($eq, $in, $gt) and returns them flattened', T, async () => {
  assert.deepEqual(sorted(await query(mine({ color: 'blue' }))), ['m2', 'm3']);
  assert.deepEqual(sorted(await query(mine({ color: { $in: ['green', 'red'] }, priority: { $gt: 1 } }))),
    ['m4', 't1', 't2']);
  const [ch] = await withTimeout(client.queryChannels(mine({ color: 'blue', priority: 2 }), [], { watch: false }),
    5000, 'queryChannels');
  assert.equal(ch.data.color, 'blue', 'custom field color flattened on channel');
  assert.equal(ch.data.priority, 2, 'custom field priority flattened on channel');
});

test('multi-field sort (custom field, then last_message_at), both directions', T, async () => {
  const withMessages = mine({ last_message_at: { $gte: lastMessageAt.m1 } });
  assert.deepEqual(await query(withMessages, [{ priority: -1 }, { last_message_at: -1 }]),
    ['t2', 'm4', 'm2', 'm3', 'm1']);
  assert.deepEqual(await query(withMessages, [{ priority: 1 }, { last_message_at: 1 }]),
    ['m1', 'm3', 'm2', 'm4', 't2']);
  assert.deepEqual(await query(withMessages, [{ last_message_at: 1 }]), ['m1', 'm2', 'm3', 'm4', 't2']);
  assert.deepEqual(await query(mine(), [{ last_message_at: -1 }], { limit: 2 }), ['t2', 'm4']);
});

test('offset pagination over a sorted result', T, async () => {
  const f = mine({ last_message_at: { $gte: lastMessageAt.m1 } });
  const sort = [{ priority: -1 }, { last_message_at: -1 }];
  assert.deepEqual(await query(f, sort, { limit: 2, offset: 0 }), ['t2', 'm4']);
  assert.deepEqual(await query(f, sort, { limit: 2, offset: 2 }), ['m2', 'm3']);
  assert.deepEqual(await query(f, sort, { limit: 2, offset: 4 }), ['m1']);
  assert.deepEqual(await query(f, sort, { limit: 2, offset: 5 }), []);
});

test('limits: limit > 30 and offset > 1000 are refused with code 4', T, async () => {
  const e1 = await expectApiError(() => client.queryChannels(mine(), [], { limit: 31, watch: false }), 'limit 31');
  assert.equal(e1.code, 4, e1.message);
  assert.equal(e1.status, 400);
  const e2 = await expectApiError(() => client.queryChannels(mine(), [], { offset: 1001, watch: false }), 'offset 1001');
  assert.equal(e2.code, 4, e2.message);
  assert.equal(e2.status, 400);
});
