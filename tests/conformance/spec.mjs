// Validation against Stream's client-side OpenAPI spec (spec/chat-openapi-clientside.json, see
// spec/README.md): the success and error body of every REST call, and every WebSocket frame,
// checked with ajv against the schema the spec names for it.
//
// Three adaptations, each kept as small as the v1 wire format or privacy requires:
//  1. `custom` is dropped from every `required` list. The spec models custom data as a nested
//     `custom` map (the shape of its generated SDKs); the v1 chat API that stream-chat speaks puts
//     custom fields at the top level instead (docs/protocol.md §7.1), so `custom` is never sent.
//     Flattened keys stay legal: no spec object sets `additionalProperties: false`.
//  2. WSEvent's `discriminator` (propertyName `type`, mapping type -> schema, `*` -> CustomEvent)
//     becomes an if/then chain, because ajv does not implement discriminator `mapping` and a plain
//     `oneOf` fails on events that match several schemas. Same mapping, same target schemas.
//  3. FullUserResponse (the users of queryUsers and of user upserts) does not require the fields
//     that OwnUserResponse requires and UserResponse does not (`devices`, `mutes`, the unread
//     counters, `invisible`, …): those are private, and the emulator shows them in the user's own
//     `me` only (docs/protocol.md §7.3). Sent, they must still have the spec's types.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SPEC_PATH = path.join(here, 'spec', 'chat-openapi-clientside.json');
const SPEC_ID = 'stream-chat-clientside.json';

function loadSpec() {
  const text = readFileSync(SPEC_PATH, 'utf8');
  if (!text.trim()) throw new Error(`${SPEC_PATH} is empty`);
  return JSON.parse(text);
}

export const spec = loadSpec();
const schemas = structuredClone(spec.components.schemas);

/** Adaptation 1: no `required: ["custom"]` anywhere (custom fields are flattened on v1). */
function dropRequiredCustom(node) {
  if (Array.isArray(node)) { node.forEach(dropRequiredCustom); return; }
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.required)) node.required = node.required.filter((k) => k !== 'custom');
  for (const v of Object.values(node)) dropRequiredCustom(v);
}
dropRequiredCustom(schemas);

/** Adaptation 3: a user's private fields are optional in FullUserResponse (own user only). */
{
  const isPublic = new Set(schemas.UserResponse.required);
  const ownOnly = new Set(schemas.OwnUserResponse.required.filter((k) => !isPublic.has(k)));
  schemas.FullUserResponse.required = schemas.FullUserResponse.required.filter((k) => !ownOnly.has(k));
}

/** The spec's event discriminator: event type -> schema name. */
export const EVENT_MAPPING = Object.fromEntries(
  Object.entries(spec.components.schemas.WSEvent.discriminator.mapping)
    .map(([type, ref]) => [type, ref.split('/').pop()]));
const DISCRIMINATOR = spec.components.schemas.WSEvent.discriminator.propertyName;

/** Adaptation 2: WSEvent dispatches on `type` through the mapping. */
{
  const branches = Object.entries(EVENT_MAPPING).filter(([type]) => type !== '*');
  const known = branches.map(([type]) => type);
  schemas.WSEvent = {
    type: 'object',
    required: [DISCRIMINATOR],
    properties: { [DISCRIMINATOR]: { type: 'string' } },
    allOf: [
      ...branches.map(([type, name]) => ({
        if: { properties: { [DISCRIMINATOR]: { const: type } }, required: [DISCRIMINATOR] },
        then: { $ref: `#/components/schemas/${name}` },
      })),
      {
        if: { properties: { [DISCRIMINATOR]: { enum: known } } },
        else: { $ref: `#/components/schemas/${EVENT_MAPPING['*']}` },
      },
    ],
  };
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema({ $id: SPEC_ID, components: { schemas } });

const compiled = new Map();
function validatorFor(schemaName) {
  if (!schemas[schemaName]) throw new Error(`the spec has no schema ${schemaName}`);
  if (!compiled.has(schemaName)) compiled.set(schemaName, ajv.getSchema(`${SPEC_ID}#/components/schemas/${schemaName}`));
  return compiled.get(schemaName);
}

function describe(errors, value) {
  // "must match then schema" only wraps the real errors of the branch the discriminator chose.
  return (errors ?? []).filter((e) => e.keyword !== 'if').slice(0, 12).map((e) => {
    let at = value;
    for (const part of e.instancePath.split('/').slice(1)) at = at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    const shown = JSON.stringify(at);
    return `${e.instancePath || '/'} ${e.message} (${e.schemaPath}${e.params && Object.keys(e.params).length
      ? ` ${JSON.stringify(e.params)}` : ''}); value: ${shown?.length > 160 ? `${shown.slice(0, 160)}…` : shown}`;
  });
}

/** Validates `value` against components.schemas[name]; returns a list of readable problems. */
export function check(name, value) {
  const v = validatorFor(name);
  return v(value) ? [] : describe(v.errors, value);
}

/** The schema the spec's discriminator picks for an event (CustomEvent for unknown types). */
export function eventSchemaName(event) {
  return EVENT_MAPPING[event?.[DISCRIMINATOR]] ?? EVENT_MAPPING['*'];
}

/** Validates one event through the spec's discriminator. */
export function checkEvent(event) {
  return check(eventSchemaName(event), event);
}

// ------------------------------------------------------------------ REST operations

/** [method, regex, operationId, success schema, error schema] for every path of the spec. */
const operations = [];
for (const [template, item] of Object.entries(spec.paths)) {
  const parts = template.split('/').filter(Boolean);
  const literal = parts.filter((p) => !p.startsWith('{')).length;
  const re = new RegExp(`^/${parts.map((p) => (p.startsWith('{') ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
  for (const [method, op] of Object.entries(item)) {
    if (!op?.responses) continue;
    const ok = Object.entries(op.responses).find(([status]) => /^2\d\d$/.test(status))?.[1];
    const bad = Object.entries(op.responses).find(([status]) => /^4\d\d$/.test(status))?.[1];
    const ref = (r) => r?.content?.['application/json']?.schema?.$ref?.split('/').pop();
    operations.push({ method: method.toUpperCase(), re, literal, template, operationId: op.operationId,
      success: ref(ok), error: ref(bad) ?? 'APIError' });
  }
}
// Literal segments first: "/channels/{type}/query" must win over "/channels/{type}/{id}".
operations.sort((a, b) => b.literal - a.literal);

/** The spec's operation for a request, or undefined. */
export function operationFor(method, pathname) {
  return operations.find((o) => o.method === method.toUpperCase() && o.re.test(pathname));
}

/** Validates a REST answer against the spec's schema for its operation and status. */
export function checkResponse({ method, pathname, status, body }) {
  const op = operationFor(method, pathname);
  if (!op) return { op: undefined, problems: [`the spec has no operation ${method} ${pathname}`] };
  const name = status >= 400 ? op.error : op.success;
  return { op, schema: name, problems: check(name, body) };
}

// ------------------------------------------------------------------ capture

/**
 * Records what the emulator sends to JS clients of this process, exactly as received:
 *  - REST: an axios interceptor per client (`tapRest(client)`), the body cloned on arrival;
 *  - WebSocket: every text frame of every `ws` socket (the `ws` package stream-chat uses in Node),
 *    parsed from the raw bytes, before the client adds its own fields (e.g. `received_at`).
 */
export function createRecorder() {
  const rest = [];
  const frames = [];
  const streamChatRequire = createRequire(createRequire(import.meta.url).resolve('stream-chat'));
  const WebSocket = streamChatRequire('isomorphic-ws');
  const originalEmit = WebSocket.prototype.emit;
  WebSocket.prototype.emit = function emit(name, ...args) {
    if (name === 'message' && !args[1]) {
      try {
        const value = JSON.parse(args[0].toString());
        for (const one of Array.isArray(value) ? value : [value]) frames.push({ url: this.url, frame: one });
      } catch { /* not JSON: not the emulator's */ }
    }
    return originalEmit.call(this, name, ...args);
  };
  const record = (res) => {
    if (!res?.config) return;
    const url = new URL(res.config.url, res.config.baseURL);
    rest.push({ method: res.config.method.toUpperCase(), pathname: url.pathname, status: res.status,
      body: structuredClone(res.data) });
  };
  return {
    rest,
    frames,
    tapRest(client) {
      client.axiosInstance.interceptors.response.use(
        (res) => { record(res); return res; },
        (err) => { record(err.response); return Promise.reject(err); });
      return client;
    },
    stop() { WebSocket.prototype.emit = originalEmit; },
  };
}
