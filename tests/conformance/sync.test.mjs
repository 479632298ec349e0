// Reconnect + recovery with a really dropped socket, and POST /sync for the gap
// (docs/protocol.md §5.3, §5.5, §8.3, §8.4).
//
// A watching JS client has its TCP socket destroyed from the outside (no close frame: code 1006 on
// its side). While it is away another user sends messages. The official client must reconnect on
// its own (its backoff after one failure is 250–2500 ms, §5.5; stream-chat has no option to lower
// it), re-query its active channels with watch:true (`recoverState`), emit `connection.recovered`,
// and then hold every message exactly once, in order. POST /sync from before the drop returns the
// gap's message.new events, oldest first.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  TEST_TIMEOUT_MS, createChannel, dropSocket, expectApiError, nextEvent, recordEvents, sendAs, sleep, upsertUsers,
  useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const d = emu.uid('dora');
const s = emu.uid('saul');
const cid = emu.uid('sy');
const hidden = emu.uid('sy-hidden');
let server; let dc; let lastSyncAt; let seen; let after;
const missed = [];

before(async () => {
  await emu.started;
  server = emu.server();
  await upsertUsers(server, [{ id: d }, { id: s }]);
  await createChannel(server, 'messaging', cid, { members: [d, s], created_by_id: s });
  await createChannel(server, 'messaging', hidden, { members: [s], created_by_id: s });
}, { timeout: 15_000 });

test('a dropped socket: the client reconnects by itself, recovers, and holds every message once, in order',
  { timeout: 20_000 }, async () => {
    dc = emu.client();
    await withTimeout(dc.connectUser({ id: d }, emu.serverToken(d)), 8000, 'connectUser(dora)');
    const ch = dc.channel('messaging', cid);
    await withTimeout(ch.watch(), 5000, 'dora watches');
    // Saul watches too, to see the emulator notice that dora's socket is gone.
    const sc = await emu.connect({ id: s });
    await withTimeout(sc.channel('messaging', cid).watch(), 5000, 'saul watches');

    const got = nextEvent(dc, 'message.new', (e) => e.message?.text === 'before');
    seen = await sendAs(server, 'messaging', cid, s, { text: 'before' });
    await got;
    await sleep(20);
    lastSyncAt = new Date().toISOString();
    await sleep(20);

    const rec = recordEvents(dc);
    const queries = [];
    dc.axiosInstance.interceptors.request.use((config) => {
      if (/\/channels$/.test(new URL(config.url, config.baseURL).pathname)) {
        queries.push({ body: typeof config.data === 'string' ? JSON.parse(config.data) : config.data,
          connectionId: config.params?.connection_id });
      }
      return config;
    });
    const recovered = nextEvent(dc, 'connection.recovered', () => true, 12_000);
    const goneAtServer = nextEvent(sc, 'user.watching.stop', (e) => e.user?.id === d && e.cid === `messaging:${cid}`,
      3000);
    const drop = dropSocket(dc);
    assert.equal(await drop.closed, 1006, 'an abnormal close (no close frame)');
    await goneAtServer; // the emulator has dropped dora's connection and its watch

    // While dora is away (the client waits at least 250 ms before reconnecting).
    for (const text of ['missed 1', 'missed 2', 'missed 3']) missed.push(await sendAs(server, 'messaging', cid, s, { text }));

    await recovered;
    assert.notEqual(dc._getConnectionID(), drop.connectionId, 'a new connection with a new connection_id');
    assert.equal(dc.wsConnection.isHealthy, true, 'the client is connected again');
    assert.equal(queries.length, 1, 'recoverState re-queries the active channels once');
    assert.deepEqual(queries[0].body.filter_conditions, { cid: { $in: [`messaging:${cid}`] } });
    assert.equal(queries[0].body.watch, true, 'with watch:true');
    assert.equal(queries[0].connectionId, dc._getConnectionID(), 'on the new connection');
    const live = rec.events.filter((e) => e.type === 'message.new' && missed.some((m) => m.id === e.message?.id));
    assert.deepEqual(live, [], 'the missed messages were not delivered live: recovery must bring them');
    const ids = ch.state.latestMessages.map((m) => m.id);
    assert.deepEqual(ids, [seen.id, ...missed.map((m) => m.id)], 'every message once, oldest first');

    // The recovery re-watched the channel on the new connection: live delivery works again.
    const text = `after recovery ${Date.now()}`;
    const atD = nextEvent(dc, 'message.new', (e) => e.message?.text === text);
    after = await sendAs(server, 'messaging', cid, s, { text });
    await atD;
    rec.stop();
    assert.deepEqual(ch.state.latestMessages.map((m) => m.id), [seen.id, ...missed.map((m) => m.id), after.id],
      'the live message is appended once after the recovered ones');
  });

test('POST /sync from before the drop returns the gap\'s message.new events, oldest first', T, async () => {
  assert.ok(dc && after, 'needs the reconnect test');
  const res = await withTimeout(dc.sync([`messaging:${cid}`], lastSyncAt), 5000, 'sync');
  assert.ok(Array.isArray(res.events), 'sync returns events[]');
  const news = res.events.filter((e) => e.type === 'message.new');
  assert.deepEqual(news.map((e) => e.message?.id), [...missed, after].map((m) => m.id),
    'exactly the message.new events since last_sync_at, oldest first');
  for (const e of news) {
    assert.equal(e.cid, `messaging:${cid}`);
    assert.ok(Date.parse(e.created_at) >= Date.parse(lastSyncAt), 'events are after last_sync_at');
  }
  assert.ok(!res.events.some((e) => e.message?.id === seen.id), 'nothing from before last_sync_at');
  assert.ok(!res.events.some((e) => e.type.startsWith('user.watching.') || e.type.startsWith('typing.')),
    'no ephemeral events are replayed');
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
