// Error responses surfaced by the JS client with the right code and HTTP status
// (docs/protocol.md §4.1–4.2).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { StreamChat } from 'stream-chat';
import {
  API_KEY, API_SECRET, TEST_TIMEOUT_MS, createChannel, expectApiError, startEmulator, upsertUsers, useEmulator,
  withTimeout, wsErrorCode,
} from './harness.mjs';

const emu = useEmulator();
const T = { timeout: TEST_TIMEOUT_MS };
const e1 = emu.uid('erin');
const e2 = emu.uid('egon');
const cid = emu.uid('er');
let server; let client;

before(async () => {
  await emu.started;
  server = emu.server();
  await upsertUsers(server, [{ id: e1 }, { id: e2 }]);
  await createChannel(server, 'messaging', cid, { members: [e1], created_by_id: e1 });
  client = await emu.connect({ id: e1 });
}, { timeout: 15_000 });

function assertEnvelope(err, code, status) {
  assert.equal(err.code, code, `code: ${err.message}`);
  assert.equal(err.status, status, `HTTP status: ${err.message}`);
  assert.match(err.message, new RegExp(`^StreamChat error code ${code}: `));
  const body = err.response?.data ?? {};
  assert.equal(body.StatusCode, status, 'body StatusCode');
  assert.equal(typeof body.duration, 'string', 'body duration');
  assert.equal(typeof body.more_info, 'string', 'body more_info');
  assert.ok(Array.isArray(body.details), 'body details[]');
}

test('a duplicate client-chosen message id is refused with code 4 (400)', T, async () => {
  const ch = client.channel('messaging', cid);
  const id = emu.uid('msg');
  const ok = await withTimeout(ch.sendMessage({ id, text: 'first' }), 5000, 'sendMessage');
  assert.equal(ok.message.id, id, 'client-chosen id kept');
  const err = await expectApiError(() => ch.sendMessage({ id, text: 'again' }), 'duplicate id');
  assertEnvelope(err, 4, 400);
});

test('getMessage of an unknown id gives code 16 (404)', T, async () => {
  const err = await expectApiError(() => client.getMessage('no-such-message-id'), 'getMessage');
  assertEnvelope(err, 16, 404);
});

test('sending to a messaging channel one is not a member of gives code 17 (403)', T, async () => {
  const outsider = await emu.connect({ id: e2 });
  const err = await expectApiError(() => outsider.channel('messaging', cid).sendMessage({ text: 'let me in' }),
    'non-member sendMessage');
  assertEnvelope(err, 17, 403);
});

test('a method the path does not serve gives code 4 (405) and an Allow header', T, async () => {
  const err = await expectApiError(() => client.get(`${client.baseURL}/channels`), 'GET /channels');
  assertEnvelope(err, 4, 405);
  assert.equal(err.response?.headers?.allow, 'POST');
});

test('an error quoting the request (quotes, backslashes, stray bytes) is still JSON the client parses', T, async () => {
  const quoted = await expectApiError(() => client.getMessage('say "hi" \\o'), 'getMessage(quotes)');
  assertEnvelope(quoted, 16, 404);
  assert.ok(quoted.response.data.message.includes('say "hi" \\o'), quoted.response.data.message);
  // %FF%C3 decodes to bytes that are not UTF-8; the emulator shows them as U+FFFD.
  const stray = await expectApiError(() => client.get(`${client.baseURL}/messages/x%FF%C3`), 'getMessage(bytes)');
  assertEnvelope(stray, 16, 404);
  assert.ok(stray.response.data.message.includes('x\uFFFD\uFFFD'), stray.response.data.message);
});

test('REST with a server token signed by a wrong secret gives code 43 (401)', T, async () => {
  const bad = new StreamChat(API_KEY, 'not-the-secret', { baseURL: emu.url, timeout: 5000 });
  const err = await expectApiError(() => bad.upsertUsers([{ id: 'x' }]), 'wrong secret');
  assertEnvelope(err, 43, 401);
});

test('REST with an unknown api_key gives code 2 (401)', T, async () => {
  const bad = new StreamChat('not-the-key', API_SECRET, { baseURL: emu.url, timeout: 5000 });
  const err = await expectApiError(() => bad.upsertUsers([{ id: 'x' }]), 'wrong api key');
  assertEnvelope(err, 2, 401);
});

test('connectUser with a badly signed token is refused on the WebSocket with code 43', T, async () => {
  const bad = new StreamChat(API_KEY, 'not-the-secret').createToken(e1);
  const c = emu.client();
  const err = await expectApiError(() => c.connectUser({ id: e1 }, bad), 'connectUser(bad signature)');
  assert.equal(wsErrorCode(err), 43, err.message);
});

test('connectUser with a static expired token is refused with code 40 (no refresh possible)', T, async () => {
  const expired = emu.serverToken(e1, Math.floor(Date.now() / 1000) - 60);
  const c = emu.client();
  const err = await expectApiError(() => c.connectUser({ id: e1 }, expired), 'connectUser(expired)');
  assert.equal(wsErrorCode(err), 40, err.message);
});

test('dev tokens are refused when the emulator runs without --allow-dev-tokens', { timeout: 30_000 }, async () => {
  const strict = await startEmulator([], { allowDevTokens: false });
  const c = new StreamChat(API_KEY, { baseURL: strict.url, timeout: 5000, allowServerSideConnect: true });
  try {
    const err = await expectApiError(() => c.connectUser({ id: e1 }, c.devToken(e1)), 'connectUser(dev token)');
    assert.equal(wsErrorCode(err), 43, `a "devtoken" signature is an invalid signature: ${err.message}`);
    // A real token still works there.
    const good = new StreamChat(API_KEY, { baseURL: strict.url, timeout: 5000, allowServerSideConnect: true });
    try {
      const h = await withTimeout(good.connectUser({ id: e1 }, emu.serverToken(e1)), 8000, 'connectUser(real)');
      assert.equal(h.me.id, e1);
    } finally {
      await withTimeout(good.disconnectUser(500), 3000, 'disconnect').catch(() => {});
    }
  } finally {
    await withTimeout(c.disconnectUser(500), 3000, 'disconnect').catch(() => {});
    await strict.stop();
  }
});
