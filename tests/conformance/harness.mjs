// Shared helpers of the conformance suite: one freshly started emulator per test file, JS clients
// pointed at it, bounded waits. Every await in the suite goes through a timeout so nothing hangs.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { StreamChat } from 'stream-chat';

export const API_KEY = 'conformance-key';
export const API_SECRET = 'conformance-secret-0123456789';
export const TEST_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 20_000;

/** Rejects with a named error when `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the emulator binary named by $STREAMCHAT_EMULATOR and resolves with its base URL. */
export async function startEmulator(extraArgs = [], { allowDevTokens = true } = {}) {
  const binary = process.env.STREAMCHAT_EMULATOR;
  if (!binary) throw new Error('STREAMCHAT_EMULATOR is not set (path of the streamchat-emulator binary)');
  const args = ['--host', '127.0.0.1', '--port', '0', '--db', ':memory:', '--api-key', API_KEY,
    '--api-secret', API_SECRET, '--rate-limits', 'off', ...(allowDevTokens ? ['--allow-dev-tokens'] : []),
    ...extraArgs];
  const logDir = process.env.CONFORMANCE_LOG_DIR || path.join(tmpdir(), 'streamchat-conformance');
  mkdirSync(logDir, { recursive: true });
  const logPath = path.join(logDir, `${path.basename(process.argv[1] ?? 'suite')}-${process.pid}-${Date.now()}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
  process.on('exit', killOnExit);

  let seen = '';
  const url = await withTimeout(new Promise((resolve, reject) => {
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = /streamchat-emulator listening on (http:\/\/[^\s]+)/.exec(seen);
      if (m) resolve(m[1].replace(/\/+$/, ''));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(
      `emulator exited before listening (code ${code}, signal ${signal}); output:\n${seen}`)));
  }), START_TIMEOUT_MS, `emulator start (${binary} ${args.join(' ')}); output so far:\n${seen}`)
    .catch((e) => { killOnExit(); throw e; });
  // Keep draining both pipes into the log so a chatty emulator never blocks on a full pipe.
  log.write(seen);
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  async function stop() {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(3000)]);
      if (!exited) { child.kill('SIGKILL'); await Promise.race([gone, sleep(2000)]); }
    }
    process.off('exit', killOnExit);
    log.end();
  }
  return { url, logPath, stop, get exited() { return exited; } };
}

/**
 * Registers before/after hooks for one test file: a fresh emulator and a tracked set of clients
 * (all of them disconnected before the emulator is killed, so no reconnect loop keeps node alive).
 */
export function useEmulator(opts = {}) {
  let started;
  const ctx = {
    url: undefined,
    /** Resolves once the emulator listens. Root-level before() hooks of node:test run concurrently,
        so a file's own setup hook must await this first. */
    started: new Promise((resolve, reject) => { started = { resolve, reject }; }),
    emulator: undefined,
    clients: [],
    /** A unique id per file run: ids never collide with seeds or with other files. */
    uid(prefix) { return `${prefix}-${Math.random().toString(36).slice(2, 8)}`; },
    /** A server-side client (server token signed with the secret). */
    server({ key = API_KEY, secret = API_SECRET } = {}) {
      const c = new StreamChat(key, secret, { baseURL: ctx.url, timeout: 5000 });
      ctx.clients.push(c);
      return c;
    },
    /** A client-side client, not yet connected. */
    client(options = {}) {
      const c = new StreamChat(API_KEY, { baseURL: ctx.url, timeout: 5000, allowServerSideConnect: true, ...options });
      ctx.clients.push(c);
      return c;
    },
    /** A connected client; `token` defaults to a server-made token for the user. */
    async connect(user, token) {
      const c = ctx.client();
      const tok = token ?? ctx.serverToken(user.id);
      await withTimeout(c.connectUser(user, tok), 8000, `connectUser(${user.id})`);
      return c;
    },
    serverToken(userId, exp) {
      return new StreamChat(API_KEY, API_SECRET, { baseURL: ctx.url }).createToken(userId, exp);
    },
  };
  ctx.started.catch(() => {});
  before(async () => {
    try {
      ctx.emulator = await startEmulator(opts.args ?? [], opts);
      ctx.url = ctx.emulator.url;
      started.resolve();
    } catch (e) {
      started.reject(e);
      throw e;
    }
  }, { timeout: START_TIMEOUT_MS + 5000 });
  after(async () => {
    await Promise.allSettled(ctx.clients.map((c) => (c.wsConnection || c.wsPromise || c.userID)
      ? withTimeout(c.disconnectUser(500), 3000, 'disconnectUser') : Promise.resolve()));
    if (ctx.emulator) {
      const crashed = ctx.emulator.exited;
      await ctx.emulator.stop();
      console.log(`# emulator log: ${ctx.emulator.logPath}`);
      if (crashed) throw new Error(`the emulator process died during the suite; see ${ctx.emulator.logPath}`);
    }
    // stream-chat's connect() races the handshake against a 15 s sleep it never clears, so every
    // connectUser keeps node alive for 15 s. Once the results are reported (stdout pipes are
    // synchronous on Linux), leave with the runner's exit code instead of waiting for those timers.
    setTimeout(() => process.exit(), 1000).unref();
  }, { timeout: 15_000 });
  return ctx;
}

/**
 * Resolves with the first event of `type` on `target` (a client or a channel) that satisfies
 * `predicate`; rejects after `ms`. Call it *before* triggering the event.
 */
export function nextEvent(target, type, predicate = () => true, ms = 5000) {
  let sub;
  const p = new Promise((resolve) => {
    sub = target.on(type, (event) => { if (predicate(event)) resolve(event); });
  });
  return withTimeout(p, ms, `event ${type}`).finally(() => sub?.unsubscribe());
}

/** Records every event a client receives (from the server, not local ones) for later assertions. */
export function recordEvents(client) {
  const events = [];
  const sub = client.on((event) => { events.push(event); });
  return { events, stop: () => sub.unsubscribe() };
}

/**
 * Kills a connected client's WebSocket abruptly, from the outside: the TCP socket under the `ws`
 * instance stream-chat uses in Node (`client.wsConnection.ws._socket`) is destroyed, with no close
 * frame. The client sees close code 1006 (a transient failure, docs/protocol.md §5.3) and must
 * reconnect and recover by itself; the emulator sees the peer go away. Returns the dropped
 * connection id and a promise of the close code the client's socket reports.
 */
export function dropSocket(client) {
  const connectionId = client._getConnectionID();
  const ws = client.wsConnection?.ws;
  const socket = ws?._socket;
  if (!connectionId || !socket) throw new Error('dropSocket: the client has no open WebSocket');
  const closed = withTimeout(new Promise((resolve) => ws.once('close', (code) => resolve(code))), 3000,
    'the dropped WebSocket to close');
  socket.destroy();
  return { connectionId, closed };
}

/** Runs `fn` expecting it to reject with a Stream API error; returns the error. */
export async function expectApiError(fn, what) {
  try {
    await withTimeout(Promise.resolve().then(fn), 6000, what);
  } catch (e) {
    if (/^timed out after/.test(e.message)) throw e;
    return e;
  }
  throw new Error(`${what}: expected an error response, got success`);
}

/** The Stream error code of a WS connect failure (the client wraps it as a JSON string). */
export function wsErrorCode(err) {
  try { return JSON.parse(err.message).code; } catch { return err.code; }
}

/** Creates users through the server API. */
export async function upsertUsers(server, users) {
  await withTimeout(server.upsertUsers(users), 5000, 'upsertUsers');
}

/** Creates a channel through the server API (created_by_id set), returns the server channel object. */
export async function createChannel(server, type, id, data) {
  const ch = server.channel(type, id, data);
  await withTimeout(ch.create(), 5000, `create ${type}:${id}`);
  return ch;
}

/** Sends a message as `userId` through the server API; returns the stored message. */
export async function sendAs(server, type, id, userId, message) {
  const ch = server.channel(type, id);
  const res = await withTimeout(ch.sendMessage({ ...message, user_id: userId }), 5000, `send to ${type}:${id}`);
  return res.message;
}
