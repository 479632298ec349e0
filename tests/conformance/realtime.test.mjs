// Two connected clients: watch / stopWatching, message.new at a watcher, notification.message_new at
// a member who does not watch.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, nextEvent, recordEvents, sleep, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const a = emu.uid('ann');
const b = emu.uid('bob');
const m = emu.uid('mia');
const cid = emu.uid('rt');
let ca; let cb; let cm; let chA; let chB; let recM;

before(async () => {
  await emu.started;
  const server = emu.server();
  await upsertUsers(server, [{ id: a, name: 'Ann' }, { id: b, name: 'Bob' }, { id: m, name: 'Mia' }]);
  await createChannel(server, 'messaging', cid, { members: [a, b, m], created_by_id: a, name: 'Realtime' });
  [ca, cb, cm] = await Promise.all([emu.connect({ id: a }), emu.connect({ id: b }), emu.connect({ id: m })]);
  recM = recordEvents(cm);
}, { timeout: 20_000 });

test('watch: state comes back, the other watcher gets user.watching.start, watcher_count counts both', T, async () => {
  chA = ca.channel('messaging', cid);
  const stateA = await withTimeout(chA.watch(), 5000, 'A watch');
  assert.equal(stateA.channel.cid, `messaging:${cid}`);
  assert.deepEqual(stateA.members.map((x) => x.user.id).sort(), [a, b, m].sort());
  assert.equal(chA.initialized, true);
  const started = nextEvent(ca, 'user.watching.start', (e) => e.user?.id === b && e.cid === `messaging:${cid}`);
  chB = cb.channel('messaging', cid);
  const stateB = await withTimeout(chB.watch(), 5000, 'B watch');
  assert.equal(stateB.watcher_count, 2, 'watcher_count in the watch response counts A and B');
  const ev = await started;
  assert.equal(ev.watcher_count, 2, 'user.watching.start carries the new watcher_count');
  assert.equal(chA.state.watcher_count, 2);
  assert.ok(chA.state.watchers[b], 'A now lists B among the watchers');
});

test('message.new arrives at the other watcher; notification.message_new at the member who does not watch', T, async () => {
  const text = `hello from bob ${Date.now()}`;
  const atA = nextEvent(ca, 'message.new', (e) => e.message?.text === text);
  const atB = nextEvent(cb, 'message.new', (e) => e.message?.text === text);
  const atM = nextEvent(cm, 'notification.message_new', (e) => e.message?.text === text);
  const res = await withTimeout(chB.sendMessage({ text }), 5000, 'B sendMessage');
  assert.equal(res.message.text, text);
  assert.equal(res.message.user.id, b);

  const evA = await atA;
  assert.equal(evA.cid, `messaging:${cid}`);
  assert.equal(evA.channel_id, cid);
  assert.equal(evA.channel_type, 'messaging');
  assert.equal(evA.message.id, res.message.id);
  assert.equal(evA.user.id, b);
  assert.equal(typeof evA.unread_count, 'number', 'per-user unread_count on message.new');
  assert.ok(chA.state.messages.some((x) => x.id === res.message.id), 'A holds the message in channel state');
  await atB; // the sender's own watching connection gets it too

  const evM = await atM;
  assert.equal(evM.cid, `messaging:${cid}`);
  assert.equal(evM.message.id, res.message.id);
  assert.equal(evM.channel?.cid, `messaging:${cid}`, 'notification.message_new carries the full channel');
  assert.ok(evM.channel.config, 'channel.config present in notification.message_new');
  assert.equal(evM.channel.name, 'Realtime');
  await sleep(300);
  assert.ok(!recM.events.some((e) => e.type === 'message.new' && e.cid === `messaging:${cid}`),
    'a member who does not watch must not get message.new');
});

test('stopWatching: the other watcher gets user.watching.stop, and A then gets notifications instead', T, async () => {
  const stopped = nextEvent(cb, 'user.watching.stop', (e) => e.user?.id === a && e.cid === `messaging:${cid}`);
  const recA = recordEvents(ca);
  await withTimeout(chA.stopWatching(), 5000, 'A stopWatching');
  const ev = await stopped;
  assert.equal(ev.watcher_count, 1, 'watcher_count after A stopped');

  const text = `after stop ${Date.now()}`;
  const note = nextEvent(ca, 'notification.message_new', (e) => e.message?.text === text);
  const atB = nextEvent(cb, 'message.new', (e) => e.message?.text === text);
  await withTimeout(chB.sendMessage({ text }), 5000, 'B sendMessage');
  await atB;
  const evA = await note;
  assert.equal(evA.cid, `messaging:${cid}`);
  await sleep(300);
  recA.stop();
  assert.ok(!recA.events.some((e) => e.type === 'message.new' && e.message?.text === text),
    'a connection that stopped watching must not get message.new');
});

test('watching again restores message.new delivery', T, async () => {
  await withTimeout(chA.watch(), 5000, 'A watch again');
  const text = `watch again ${Date.now()}`;
  const atA = nextEvent(ca, 'message.new', (e) => e.message?.text === text);
  await withTimeout(chB.sendMessage({ text }), 5000, 'B sendMessage');
  const ev = await atA;
  assert.equal(ev.cid, `messaging:${cid}`);
});
