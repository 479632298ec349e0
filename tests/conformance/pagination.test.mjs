// queryChannels offset pagination up to the 1,000 cap: a user with 1,005 channels pages through all
// of them (limit 30), offset 1000 is the last legal page, offset 1001 is refused.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { createChannel, expectApiError, upsertUsers, useEmulator, withTimeout } from './harness.mjs';

const emu = useEmulator();
const TOTAL = 1005;
const pager = emu.uid('pager');
const created = new Set();
let client;

before(async () => {
  await emu.started;
  const server = emu.server();
  await upsertUsers(server, [{ id: pager }]);
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const id = `pg-${String(i).padStart(4, '0')}`;
      await createChannel(server, 'messaging', id, { members: [pager], created_by_id: pager, n: i });
      created.add(id);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  client = emu.client();
  await withTimeout(client.connectUser({ id: pager }, emu.serverToken(pager)), 8000, 'connectUser(pager)');
}, { timeout: 120_000 });

const filter = () => ({ members: { $in: [pager] } });

async function page(offset, limit = 30) {
  const res = await withTimeout(client.queryChannels(filter(), [{ created_at: 1 }],
    { limit, offset, watch: false, state: true, message_limit: 0 }, { withResponse: true }), 5000, `page at ${offset}`);
  return res.channels.map((c) => ({ id: c.id, created_at: c.data.created_at }));
}

test(`pages through ${TOTAL} channels with limit 30 up to offset 1000; offset 1001 is refused`, { timeout: 60_000 }, async () => {
  assert.equal(created.size, TOTAL);
  const all = [];
  for (let offset = 0; offset < TOTAL; offset += 30) {
    const items = await page(offset);
    assert.equal(items.length, Math.min(30, TOTAL - offset), `page size at offset ${offset}`);
    all.push(...items);
  }
  const ids = all.map((c) => c.id);
  assert.equal(new Set(ids).size, TOTAL, 'pages must not overlap');
  assert.deepEqual([...ids].sort(), [...created].sort(), 'pages must cover every channel exactly once');
  for (let i = 1; i < all.length; ++i) {
    assert.ok(Date.parse(all[i - 1].created_at) <= Date.parse(all[i].created_at),
      `created_at ascending at index ${i}: ${all[i - 1].created_at} then ${all[i].created_at}`);
  }
  const last = await page(1000);
  assert.deepEqual(last.map((c) => c.id), ids.slice(1000), 'offset 1000 is the last legal page');
  const err = await expectApiError(() => page(1001), 'offset 1001');
  assert.equal(err.code, 4, err.message);
  assert.equal(err.status, 400);
});
