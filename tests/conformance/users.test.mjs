// queryUsers by id $in (sort, offset, limit), custom fields flattened, the 100 limit.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { TEST_TIMEOUT_MS, expectApiError, upsertUsers, useEmulator, withTimeout } from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const prefix = emu.uid('u');
const u = [0, 1, 2, 3].map((i) => `${prefix}-${i}`);
let client;

before(async () => {
  await emu.started;
  const server = emu.server();
  await upsertUsers(server, u.map((id, i) => ({ id, name: `User ${i}`, shoe_size: 40 + i })));
  client = await emu.connect({ id: u[0] });
}, { timeout: 15_000 });

async function ids(filter, sort, options) {
  const res = await withTimeout(client.queryUsers(filter, sort, options), 5000, `queryUsers ${JSON.stringify(filter)}`);
  return res.users.map((x) => x.id);
}

test('queryUsers id $in returns exactly those users, sorted by id both ways', T, async () => {
  assert.deepEqual(await ids({ id: { $in: [u[3], u[1], 'nobody-at-all'] } }, [{ id: 1 }]), [u[1], u[3]]);
  assert.deepEqual(await ids({ id: { $in: [u[0], u[2], u[3]] } }, [{ id: -1 }]), [u[3], u[2], u[0]]);
});

test('queryUsers offset and limit', T, async () => {
  const all = { id: { $in: u } };
  assert.deepEqual(await ids(all, [{ id: 1 }], { limit: 2, offset: 1 }), [u[1], u[2]]);
  assert.deepEqual(await ids(all, [{ id: 1 }], { limit: 2, offset: 3 }), [u[3]]);
});

test('queryUsers returns built-in and flattened custom fields', T, async () => {
  const res = await withTimeout(client.queryUsers({ id: { $in: [u[2]] } }), 5000, 'queryUsers');
  assert.equal(res.users.length, 1);
  const [user] = res.users;
  assert.equal(user.name, 'User 2');
  assert.equal(user.shoe_size, 42);
  assert.equal(user.role, 'user');
  assert.equal(typeof user.created_at, 'string');
  assert.equal(typeof user.banned, 'boolean');
});

test('queryUsers with a custom-field filter combined with id $in', T, async () => {
  assert.deepEqual(await ids({ id: { $in: u }, shoe_size: { $gte: 42 } }, [{ id: 1 }]), [u[2], u[3]]);
});

test('queryUsers limit > 100 is refused with code 4', T, async () => {
  const err = await expectApiError(() => client.queryUsers({ id: { $in: u } }, [], { limit: 101 }), 'limit 101');
  assert.equal(err.code, 4, err.message);
  assert.equal(err.status, 400);
});

test('queryUsers shows users without the own-user fields, which only me carries', T, async () => {
  const res = await withTimeout(client.queryUsers({ id: { $in: [u[0], u[1]] } }), 5000, 'queryUsers');
  assert.equal(res.users.length, 2);
  for (const user of res.users) {
    for (const key of ['devices', 'mutes', 'channel_mutes', 'total_unread_count', 'unread_count', 'unread_channels',
      'unread_threads', 'invisible']) assert.equal(key in user, false, `${user.id}.${key}`);
  }
  assert.equal(typeof client.user.total_unread_count, 'number', 'me keeps its counters');
});
