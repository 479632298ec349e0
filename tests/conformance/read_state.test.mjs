// markRead and unread counts: me totals at connect, GET /unread, read[] in channel state,
// message.read / notification.mark_read events.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, nextEvent, sendAs, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const r = emu.uid('rita');
const s = emu.uid('sam');
const c1 = emu.uid('rd1');
const c2 = emu.uid('rd2');
let server; let cr; let cs; let health;

const entryFor = (unread, id) => unread.channels?.find((x) => x.channel_id === `messaging:${id}` || x.channel_id === id);
const readOf = (state, userId) => state.read?.find((x) => x.user?.id === userId);

before(async () => {
  await emu.started;
  server = emu.server();
  await upsertUsers(server, [{ id: r }, { id: s }]);
  await createChannel(server, 'messaging', c1, { members: [r, s], created_by_id: s });
  await createChannel(server, 'messaging', c2, { members: [r, s], created_by_id: s });
  for (let i = 0; i < 3; ++i) await sendAs(server, 'messaging', c1, s, { text: `c1 #${i}` });
  for (let i = 0; i < 2; ++i) await sendAs(server, 'messaging', c2, s, { text: `c2 #${i}` });
  cr = emu.client();
  health = await withTimeout(cr.connectUser({ id: r }, emu.serverToken(r)), 8000, 'connectUser(rita)');
  cs = await emu.connect({ id: s });
}, { timeout: 20_000 });

test('the handshake me carries the unread totals', T, async () => {
  assert.equal(health.me.total_unread_count, 5);
  assert.equal(health.me.unread_channels, 2);
});

test('GET /unread reports per-channel unread counts', T, async () => {
  const unread = await withTimeout(cr.getUnreadCount(), 5000, 'getUnreadCount');
  assert.equal(unread.total_unread_count, 5);
  assert.equal(entryFor(unread, c1)?.unread_count, 3, JSON.stringify(unread.channels));
  assert.equal(entryFor(unread, c2)?.unread_count, 2, JSON.stringify(unread.channels));
});

test('channel state read[] has the own entry with unread_messages; the client counts 3 unread', T, async () => {
  const ch = cr.channel('messaging', c1);
  const state = await withTimeout(ch.watch(), 5000, 'watch c1');
  assert.equal(state.channel.config?.read_events, true, 'config.read_events must be true for messaging');
  assert.equal(readOf(state, r)?.unread_messages, 3, JSON.stringify(state.read));
  assert.equal(ch.countUnread(), 3);
});

test('markRead: message.read at the other watcher, notification.mark_read with new totals, counts drop', T, async () => {
  const chS = cs.channel('messaging', c1);
  await withTimeout(chS.watch(), 5000, 'sam watches c1');
  const ch = cr.channel('messaging', c1);
  const readAtS = nextEvent(cs, 'message.read', (e) => e.user?.id === r && e.cid === `messaging:${c1}`);
  const readAtR = nextEvent(cr, 'message.read', (e) => e.user?.id === r && e.cid === `messaging:${c1}`);
  const markAtR = nextEvent(cr, 'notification.mark_read', (e) => e.cid === `messaging:${c1}` || e.channel_id === c1);
  const res = await withTimeout(ch.markRead(), 5000, 'markRead');
  assert.ok(res, 'markRead made no request: the channel lacks read_events or the read-events capability');
  assert.equal(res.event?.type, 'message.read');
  assert.equal(res.event?.user?.id, r);
  assert.equal(res.event?.cid, `messaging:${c1}`);
  assert.equal(res.event?.channel_type, 'messaging');
  assert.equal(res.event?.channel_id, c1);
  assert.equal(typeof res.event?.created_at, 'string');
  await readAtS;
  await readAtR; // the reader's own watching connection too: this is what zeroes the client's count
  const note = await markAtR;
  assert.equal(note.total_unread_count, 2, 'notification.mark_read total_unread_count');
  assert.equal(note.unread_channels, 1, 'notification.mark_read unread_channels');
  assert.equal(ch.countUnread(), 0);

  const unread = await withTimeout(cr.getUnreadCount(), 5000, 'getUnreadCount');
  assert.equal(unread.total_unread_count, 2);
  assert.equal(entryFor(unread, c1)?.unread_count ?? 0, 0);
  assert.equal(entryFor(unread, c2)?.unread_count, 2);
  const state = await withTimeout(cr.channel('messaging', c1).query({ messages: { limit: 5 } }), 5000, 'query c1');
  assert.equal(readOf(state, r)?.unread_messages, 0);
});

test('a new message counts as unread again (event totals and GET /unread)', T, async () => {
  const ch = cr.channel('messaging', c1);
  const atR = nextEvent(cr, 'message.new', (e) => e.cid === `messaging:${c1}` && e.message?.text === 'one more');
  await sendAs(server, 'messaging', c1, s, { text: 'one more' });
  const ev = await atR;
  assert.equal(ev.total_unread_count, 3, 'message.new total_unread_count for the recipient');
  assert.equal(ch.countUnread(), 1);
  const unread = await withTimeout(cr.getUnreadCount(), 5000, 'getUnreadCount');
  assert.equal(unread.total_unread_count, 3);
  assert.equal(entryFor(unread, c1)?.unread_count, 1);
});
