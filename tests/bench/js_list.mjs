// The JS peer of bench_list: the official stream-chat client against the same emulator, the same
// user and the same 5,000 channels, doing what the C++ channel list does where it can.
//
//   node js_list.mjs <conformance_dir> <base_url> <api_key> <user_token> <runs>
//
// - first visible page: queryChannels (30 rows, message_limit 1, state, no watch), which
//   hydrates the client's channels: the JS client's stages 1 and 2 in one call;
// - channel switch, cold: channel.watch() of a channel not watched yet;
// - the whole list: queryChannels with offsets, as far as the server's 1,000 cap allows (the JS
//   client has no cursor past it).
// Prints `RESULT <name> <p50 ms> <p95 ms>` and `RESULT whole_list <channels> <ms>`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [conformanceDir, baseURL, apiKey, token, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const require = createRequire(join(conformanceDir, 'package.json'));
const { StreamChat } = require('stream-chat');
const version = JSON.parse(readFileSync(join(conformanceDir, 'node_modules', 'stream-chat', 'package.json'), 'utf8')).version;
console.log(`stream-chat ${version}, node ${process.version}`);

const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))];
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const client = new StreamChat(apiKey, { baseURL, timeout: 10000, warmUp: false, allowServerSideConnect: true });
await client.connectUser({ id: 'john' }, token);
const filter = { members: { $in: ['john'] } };
const sort = [{ last_message_at: -1 }];

const first = [];
for (let r = 0; r < runs; ++r) {
  const t0 = process.hrtime.bigint();
  const page = await client.queryChannels(filter, sort, { limit: 30, message_limit: 1, state: true, watch: false });
  first.push(ms(t0));
  if (page.length !== 30) throw new Error(`first page has ${page.length} channels`);
}
console.log(`RESULT first_page ${pct(first, 0.5).toFixed(3)} ${pct(first, 0.95).toFixed(3)}`);

let listed = 0;
const t_all = process.hrtime.bigint();
for (let offset = 0; offset <= 1000; offset += 30) {
  const page = await client.queryChannels(filter, sort, { limit: 30, offset, message_limit: 0, state: true, watch: false });
  listed += page.length;
  if (page.length < 30) break;
}
console.log(`RESULT whole_list ${listed} ${ms(t_all).toFixed(1)}`);

const cold = [];
for (let r = 0; r < runs; ++r) {
  const id = `seed-${(1000 + 37 * r) % 5000}`;
  const channel = client.channel('messaging', id);
  const t0 = process.hrtime.bigint();
  await channel.watch();
  cold.push(ms(t0));
  await channel.stopWatching();
}
console.log(`RESULT cold_switch ${pct(cold, 0.5).toFixed(3)} ${pct(cold, 0.95).toFixed(3)}`);
await client.disconnectUser(1000);
