// Interop both ways: the C++ streamchat::client (streamchat-conformance-peer, interop_peer.cpp)
// and the official JS client share a channel on the emulator and see each other's messages, reads
// and typing (docs/protocol.md §2.4, §2.5, §6.2).
//
// The peer plays user A: connects, watches, sends a message, marks read, sends typing.start, and
// prints what it receives as JSON lines until it gets B's message. This file plays user B.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import {
  createChannel, nextEvent, sendAs, upsertUsers, useEmulator, withTimeout,
} from './harness.mjs';

const emu = useEmulator();
const peerBinary = process.env.STREAMCHAT_CONFORMANCE_PEER;
const a = emu.uid('cpp');
const b = emu.uid('js');
const cid = emu.uid('interop');
const fullCid = `messaging:${cid}`;

/** Starts the peer; `lines` fills with its JSON lines, `exited` resolves with its exit code. */
function startPeer(args) {
  const child = spawn(peerBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let stderr = '';
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line;
    try { line = JSON.parse(text); } catch { line = { kind: 'unparsable', text }; }
    lines.push(line);
    for (const w of [...waiters]) if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? signal));
  });
  return {
    lines,
    exited,
    get stderr() { return stderr; },
    /** Resolves with the first line (already printed or to come) that satisfies `match`. */
    line(match, ms, what) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return withTimeout(new Promise((resolve) => waiters.push({ match, resolve })), ms, `peer: ${what}`);
    },
    kill() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}

test('a C++ client and the JS client see each other\'s messages, reads and typing',
  { skip: !peerBinary && 'STREAMCHAT_CONFORMANCE_PEER is not set (run.sh takes the peer binary as 3rd argument)',
    timeout: 25_000 },
  async (t) => {
    await emu.started;
    const server = emu.server();
    await upsertUsers(server, [{ id: a, name: 'C++' }, { id: b, name: 'JS' }]);
    await createChannel(server, 'messaging', cid, { members: [a, b], created_by_id: b, name: 'Interop' });
    const welcome = await sendAs(server, 'messaging', cid, b, { text: 'welcome' }); // A has one unread

    const cb = await emu.connect({ id: b });
    const ch = cb.channel('messaging', cid);
    await withTimeout(ch.watch(), 5000, 'B watches');

    // What B must see from the C++ client.
    const watching = nextEvent(cb, 'user.watching.start', (e) => e.user?.id === a && e.cid === fullCid, 10_000);
    const fromA = nextEvent(cb, 'message.new', (e) => e.user?.id === a && e.cid === fullCid, 10_000);
    const readByA = nextEvent(cb, 'message.read', (e) => e.user?.id === a && e.cid === fullCid, 10_000);
    const typingA = nextEvent(cb, 'typing.start', (e) => e.user?.id === a && e.cid === fullCid, 10_000);

    const peer = startPeer(['--base-url', emu.url, '--api-key', 'conformance-key', '--token', emu.serverToken(a),
      '--user', a, '--channel', fullCid, '--peer', b, '--timeout-ms', '15000']);
    try {
      const diag = () => `\npeer stdout:\n${peer.lines.map((l) => JSON.stringify(l)).join('\n')}\npeer stderr:\n${peer.stderr}`;
      await peer.line((l) => l.kind === 'watching' || l.kind === 'error', 10_000, 'watching')
        .then((l) => assert.equal(l.kind, 'watching', diag()));
      await watching;
      const [msgA, sentLine] = await Promise.all([fromA, peer.line((l) => l.kind === 'sent', 10_000, 'sent')]);
      assert.equal(msgA.message.text, 'hello from C++');
      assert.equal(msgA.message.id, sentLine.message_id, 'the id the C++ client chose');
      const readEv = await readByA;
      assert.equal(readEv.last_read_message_id, msgA.message.id, 'A read up to its own message');
      await typingA;
      assert.ok(ch.state.typing[a], 'B\'s channel state shows A typing');
      assert.equal(ch.state.read[a]?.last_read_message_id, msgA.message.id, 'B\'s channel state has A\'s read');

      // B answers: typing, read, message. The peer exits once it has B's message.
      await withTimeout(ch.keystroke(), 5000, 'B keystroke');
      await withTimeout(ch.markRead(), 5000, 'B markRead');
      const { message: msgB } = await withTimeout(ch.sendMessage({ text: 'hello from JS' }), 5000, 'B sendMessage');
      const code = await withTimeout(peer.exited, 12_000, 'peer exit');
      assert.equal(code, 0, `peer exit status${diag()}`);

      const events = peer.lines.filter((l) => l.kind === 'event' && l.cid === fullCid);
      t.diagnostic(`the C++ client received: ${events.map((e) => `${e.type}(${e.user ?? ''})`).join(', ')}`);
      const newB = events.find((e) => e.type === 'message.new' && e.user === b);
      assert.ok(newB, `the C++ client got B's message.new${diag()}`);
      assert.equal(newB.message_id, msgB.id);
      assert.equal(newB.text, 'hello from JS');
      assert.ok(events.some((e) => e.type === 'typing.start' && e.user === b), `the C++ client saw B typing${diag()}`);
      const readB = events.find((e) => e.type === 'message.read' && e.user === b);
      assert.ok(readB, `the C++ client saw B's read${diag()}`);
      assert.equal(readB.last_read_message_id, msgA.message.id, 'B read up to A\'s message');
      for (const kind of ['connected', 'marked_read', 'typing_sent', 'done']) {
        assert.ok(peer.lines.some((l) => l.kind === kind), `peer step ${kind}${diag()}`);
      }
      assert.ok(!peer.lines.some((l) => l.kind === 'error'), diag());

      // B's channel state: every message once, in order.
      assert.deepEqual(ch.state.latestMessages.map((m) => m.id), [welcome.id, msgA.message.id, msgB.id]);
    } finally {
      peer.kill();
    }
  });
