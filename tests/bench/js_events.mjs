// The JS peer of bench_events: the official stream-chat client applying the same WebSocket frames.
//
//   node js_events.mjs <config.json>
//
// config.json (written by bench_events): {"conformance_dir", "own_user", "channels": [cid…],
// "seconds", "sets": [{"name", "file"}]}, each file one frame per line. The client gets the
// channels the way queryChannels hydrates them (client.hydrateActiveChannels: channel data with
// read events, one message, two members, the own read state), then every frame goes through
// JSON.parse + client.dispatchEvent, the client's own entry point for WebSocket events. No
// socket, no HTTP. Prints one line per set: `RESULT <name> <events/s> <events> <seconds>`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(join(config.conformance_dir, 'package.json'));
const { StreamChat } = require('stream-chat');
const version = JSON.parse(
  readFileSync(join(config.conformance_dir, 'node_modules', 'stream-chat', 'package.json'), 'utf8'),
).version;

function makeClient() {
  const client = new StreamChat('bench-key', { warmUp: false });
  // A connected user without a socket. Delivery receipts would schedule HTTP calls per message:
  // off, so that only event handling is measured (the C++ side sends no receipts either).
  client._setUser({
    id: config.own_user,
    name: config.own_user,
    privacy_settings: { delivery_receipts: { enabled: false } },
  });
  // What connectUser() leaves behind once the socket is up (mute checks require it).
  client.wsPromise = Promise.resolve();
  const at = '2024-05-02T10:00:00.000000Z';
  const me = { id: config.own_user, name: config.own_user };
  const jack = { id: 'jack', name: 'Jack' };
  const states = config.channels.map((cid) => {
    const [type, id] = [cid.slice(0, cid.indexOf(':')), cid.slice(cid.indexOf(':') + 1)];
    return {
      channel: {
        id, type, cid, name: `Room ${id}`, member_count: 2, created_at: at, updated_at: at,
        last_message_at: at, frozen: false, disabled: false,
        config: { name: type, read_events: true, typing_events: true, connect_events: true },
        own_capabilities: ['read-events', 'send-message', 'typing-events'],
      },
      messages: [{ id: `seed-${id}`, cid, type: 'regular', text: 'seeded', html: '<p>seeded</p>',
                   user: jack, created_at: at, updated_at: at, attachments: [], latest_reactions: [],
                   own_reactions: [], reaction_counts: {}, reaction_scores: {}, mentioned_users: [] }],
      members: [{ user_id: me.id, user: me, channel_role: 'owner' }, { user_id: jack.id, user: jack, channel_role: 'channel_member' }],
      read: [{ user: me, last_read: at, unread_messages: 2 }],
      pinned_messages: [],
      watcher_count: 1,
      watchers: [],
    };
  });
  client.hydrateActiveChannels(states, {}, { message_limit: 1 });
  return client;
}

function run(frames, seconds) {
  const client = makeClient();
  let i = 0;
  const step = () => {
    client.dispatchEvent(JSON.parse(frames[i]));
    if (++i === frames.length) i = 0;
  };
  // Warm-up: one pass over the frames (JIT, hidden classes), not counted.
  for (let k = 0; k < frames.length; ++k) step();
  let events = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let k = 0; k < 1000; ++k) step();
    events += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  const secs = Number(elapsed) / 1e9;
  // Sanity: the events reached channel state (a message.new adds a message and counts unread).
  const sample = client.activeChannels[config.channels[1]];
  const ok = sample && sample.state.latestMessages.length > 1 && sample.state.unreadCount > 2;
  return { rate: events / secs, events, secs, ok };
}

console.log(`stream-chat ${version}, node ${process.version}`);
for (const set of config.sets) {
  const frames = readFileSync(set.file, 'utf8').split('\n').filter((l) => l.length > 0);
  const r = run(frames, config.seconds);
  if (!r.ok) console.log(`WARN ${set.name}: message.new did not reach channel state`);
  console.log(`RESULT ${set.name} ${r.rate.toFixed(0)} ${r.events} ${r.secs.toFixed(3)}`);
}
// Timers the client may have armed must not keep the process alive.
process.exit(0);
