// The JS peer of bench_memory: heap bytes per channel of the official stream-chat client holding N
// channels hydrated the way queryChannels returns them (one message, two members, the own read
// state), as in js_events.mjs.
//
//   node --expose-gc js_memory.mjs <conformance_dir> N...
//
// Prints `RESULT <N> <heap bytes per channel>` per N (a fresh client each, heapUsed after a full
// collection, before and after hydrating).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [conformanceDir, ...counts] = process.argv.slice(2);
const require = createRequire(join(conformanceDir, 'package.json'));
const { StreamChat } = require('stream-chat');
const version = JSON.parse(readFileSync(join(conformanceDir, 'node_modules', 'stream-chat', 'package.json'), 'utf8')).version;
console.log(`stream-chat ${version}, node ${process.version}`);

function state(i) {
  const at = new Date(Date.UTC(2024, 4, 2, 10, 0, i % 60)).toISOString();
  const id = `room-${i}`;
  const cid = `messaging:${id}`;
  const me = { id: 'bench-me', name: 'bench-me' };
  const author = { id: `user-${i % 200}`, name: `User ${i % 200}` };
  const channel = {
    id, type: 'messaging', cid, name: `Room ${i}`, member_count: 4, created_at: at, updated_at: at,
    last_message_at: at, frozen: false, disabled: false,
    config: { name: 'messaging', read_events: true, typing_events: true, connect_events: true },
    own_capabilities: ['read-events', 'send-message', 'typing-events'],
  };
  if (i % 2 === 0) channel.image = `https://us-east.stream-io-cdn.com/1234/images/avatar-${i}.jpg`;
  return {
    channel,
    messages: [{ id: `m-${i}`, cid, type: 'regular', user: author, created_at: at, updated_at: at,
                 text: 'The deploy finished; all checks are green and the dashboards look normal again.',
                 attachments: [], latest_reactions: [], own_reactions: [], reaction_counts: {},
                 reaction_scores: {}, mentioned_users: [] }],
    members: [{ user_id: me.id, user: me, channel_role: 'owner' },
              { user_id: author.id, user: author, channel_role: 'channel_member' }],
    read: [{ user: me, last_read: at, unread_messages: i % 5 }],
    pinned_messages: [], watcher_count: 0, watchers: [],
  };
}

for (const arg of counts) {
  const n = Number(arg);
  const inputs = Array.from({ length: n }, (_, i) => state(i));
  const client = new StreamChat('bench-key', { warmUp: false });
  client._setUser({ id: 'bench-me', name: 'bench-me' });
  global.gc();
  const before = process.memoryUsage().heapUsed;
  client.hydrateActiveChannels(inputs, {}, { message_limit: 1 });
  inputs.length = 0; // only what the client keeps counts
  global.gc();
  const after = process.memoryUsage().heapUsed;
  const held = Object.keys(client.activeChannels).length;
  if (held !== n) throw new Error(`client holds ${held} of ${n} channels`);
  console.log(`RESULT ${n} ${((after - before) / n).toFixed(0)}`);
}
