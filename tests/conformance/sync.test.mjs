// A client disconnects, misses messages, reconnects and gets them back from client.sync (POST /sync).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, expectApiError, nextEvent, sendAs, sleep, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const d = emu.uid('dora');
const s = emu.uid('saul');
const cid = emu.uid('sy');
const hidden = emu.uid('sy-hidden');
let server; let lastSyncAt; let missed = []; let seen;

before(async () => {
  await emu.started;
  server = emu.server();
  await upsertUsers(server, [{ id: d }, { id: s }]);
  await createChannel(server, 'messaging', cid, { members: [d, s], created_by_id: s });
  await createChannel(server, 'messaging', hidden, { members: [s], created_by_id: s });
}, { timeout: 15_000 });

test('offline catch-up: messages sent while disconnected come back from client.sync in order', T, async () => {
  const first = emu.client();
  await withTimeout(first.connectUser({ id: d }, emu.serverToken(d)), 8000, 'connectUser(dora)');
  const ch = first.channel('messaging', cid);
  await withTimeout(ch.watch(), 5000, 'watch');
  const got = nextEvent(first, 'message.new', (e) => e.message?.text === 'before');
  seen = await sendAs(server, 'messaging', cid, s, { text: 'before' });
  await got;
  await sleep(50);
  lastSyncAt = new Date().toISOString();
  await sleep(50);
  await withTimeout(first.disconnectUser(1000), 3000, 'disconnectUser');

  for (const text of ['missed 1', 'missed 2', 'missed 3']) {
    missed.push(await sendAs(server, 'messaging', cid, s, { text }));
    await sleep(5);
  }

  const again = emu.client();
  await withTimeout(again.connectUser({ id: d }, emu.serverToken(d)), 8000, 'reconnect(dora)');
  const res = await withTimeout(again.sync([`messaging:${cid}`], lastSyncAt), 5000, 'sync');
  assert.ok(Array.isArray(res.events), 'sync returns events[]');
  const news = res.events.filter((e) => e.type === 'message.new');
  assert.deepEqual(news.map((e) => e.message?.id), missed.map((m) => m.id),
    'exactly the missed message.new events, oldest first');
  for (const e of news) {
    assert.equal(e.cid, `messaging:${cid}`);
    assert.ok(Date.parse(e.created_at) >= Date.parse(lastSyncAt), 'events are after last_sync_at');
  }
  assert.ok(!res.events.some((e) => e.message?.id === seen.id), 'nothing from before last_sync_at');
});

test('sync: an unreadable channel is listed in inaccessible_cids with with_inaccessible_cids', T, async () => {
  const c = await emu.connect({ id: d });
  const res = await withTimeout(c.sync([`messaging:${cid}`, `messaging:${hidden}`], lastSyncAt,
    { with_inaccessible_cids: true }), 5000, 'sync');
  assert.deepEqual(res.inaccessible_cids, [`messaging:${hidden}`]);
  assert.ok(!res.events.some((e) => e.cid === `messaging:${hidden}`), 'no events of an unreadable channel');
});

test('sync: more than 255 channel_cids is refused with code 4', T, async () => {
  const c = await emu.connect({ id: d });
  const cids = Array.from({ length: 256 }, (_, i) => `messaging:x${i}`);
  const err = await expectApiError(() => c.sync(cids, lastSyncAt), 'sync 256 cids');
  assert.equal(err.code, 4, err.message);
  assert.equal(err.status, 400);
});
