// The fuzz suite's generator: structure-aware, seeded mutations of an event fixture.
//
// `fuzzEvent(fixtures, seed, index)` is pure: the same fixtures, seed and index always
// give the same event, so a failure found in a long run is reproduced from its seed and
// index alone. The mutator walks the fixture's JSON (and the JSON inside its strings: an
// SQS body, an HTTP body) and changes one place: a key dropped, a value set to null, to a
// value of another type, to an empty or a huge value or to a deep nesting, invalid UTF-8
// bytes, a key written twice; and, by the shape of the event, bad base64, an empty or a
// 10,000-record batch, and the HTTP inputs that broke request parsing before (query
// strings, paths, Host headers, `X-Forwarded-Proto`). docs/architecture.md (Fuzzing) lists the kinds.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Lambda's limit for a synchronous invoke request (6 MB); every event stays below it. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** Size of a huge string value, in UTF-8 bytes. */
export const HUGE_STRING_BYTES = 300 * 1024;
/** Records of the large batch: the most an SQS or DynamoDB Streams event source mapping sends. */
export const LARGE_BATCH_RECORDS = 10_000;
/** `http::Uri` refuses a URI longer than 65,534 bytes: the long query strings and paths go past it. */
export const LONG_QUERY_CHARS = 65_534;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An event fixture: its `<source>/<variant>` name and its parsed JSON. */
export interface Fixture {
  readonly name: string;
  readonly json: Json;
}

export const MUTATION_KINDS = [
  'drop',
  'null',
  'wrong-type',
  'empty-value',
  'huge',
  'deep',
  'invalid-utf8',
  'duplicate-key',
  'bad-base64',
  'empty-batch',
  'large-batch',
  'query-string',
  'raw-path',
  'host-header',
  'forwarded-proto',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

/** The HTTP kinds: they rewrite the request line or a header of an HTTP event. */
const REQUEST_LINE_AND_HEADERS: readonly MutationKind[] = [
  'query-string',
  'raw-path',
  'host-header',
  'forwarded-proto',
];

/** What the event is, judged from its structure. */
export type EventShape = 'http' | 'sqs' | 'dynamodb-stream' | 'other';

export interface FuzzEvent {
  /** Position in the run; with the seed, all it takes to produce this event again. */
  readonly index: number;
  readonly fixture: string;
  readonly shape: EventShape;
  readonly kind: MutationKind;
  /** Where the mutation applies, e.g. `Records[1].body<json>.detail.items[0]`; `` for the whole event. */
  readonly path: string;
  /** What was done there, short enough for a report line. */
  readonly detail: string;
  /** The invoke payload: text, or bytes when it holds invalid UTF-8. */
  readonly payload: string | Uint8Array;
  /** Size of the payload in bytes. */
  readonly bytes: number;
  /**
   * The event source could deliver this event: only what its producer controls changed,
   * within the limits the source enforces, or whole records were added or removed. For
   * HTTP, what a client request controls (path, query string, header values, body);
   * for SQS, message bodies and attribute values; for DynamoDB Streams, the item images
   * (not their keys). False for what no source sends: a dropped `requestContext`, a number
   * where a string belongs, invalid UTF-8, bad base64 in an SQS or DynamoDB binary value.
   */
  readonly deliverable: boolean;
  /** Batch events: the identifiers (SQS `messageId`, DynamoDB `SequenceNumber`) the function may report. */
  readonly recordIds: readonly string[];
  /** Batch events: records the mutation did not touch. */
  readonly intactRecords: number;
  /** Batch events: records without a string identifier (the function cannot name them). */
  readonly idlessRecords: number;
}

/** A seeded pseudo-random generator (xoroshiro128+ from pure-rand). */
export class Rng {
  private readonly generator: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed | 0);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }
}

/** The seed of event `index` of a run seeded `seed` (a 32-bit mix, so neighbours differ). */
export function eventSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * How often each kind is picked after the first round. A large batch is the same 5 MB
 * for a fixture every time and the slowest event by far: it comes once per fixture in the
 * first round, then rarely (about one batch event in 200).
 */
const WEIGHTS: Readonly<Partial<Record<MutationKind, number>>> = { 'large-batch': 1 };
const DEFAULT_WEIGHT = 20;

/**
 * Event `index` of a run seeded `seed` over `fixtures`: one fixture, one mutation. The
 * first events take every fixture with every kind that applies to it, in order, so any
 * run that long has them all; then fixture and kind are drawn (kinds by `WEIGHTS`).
 */
export function fuzzEvent(fixtures: readonly Fixture[], seed: number, index: number): FuzzEvent {
  const rng = new Rng(eventSeed(seed, index));
  const round = firstRound(fixtures);
  const planned = round[index];
  if (planned) return mutate(planned.fixture, rng, index, planned.kind);
  const fixture = rng.pick(fixtures);
  const kinds = kindsFor(fixture);
  const weights = kinds.map((kind) => WEIGHTS[kind] ?? DEFAULT_WEIGHT);
  let draw = rng.int(
    1,
    weights.reduce((a, b) => a + b, 0),
  );
  const kind = kinds.find((_, i) => {
    draw -= weights[i] ?? 0;
    return draw <= 0;
  });
  return mutate(fixture, rng, index, kind);
}

/** Every fixture with every kind that applies to it: the first events of a run. */
export function firstRound(
  fixtures: readonly Fixture[],
): readonly { fixture: Fixture; kind: MutationKind }[] {
  const cached = rounds.get(fixtures);
  if (cached) return cached;
  const round = fixtures.flatMap((fixture) => kindsFor(fixture).map((kind) => ({ fixture, kind })));
  rounds.set(fixtures, round);
  return round;
}
const rounds = new WeakMap<readonly Fixture[], { fixture: Fixture; kind: MutationKind }[]>();

/** The mutation kinds that apply to a fixture (some need a string, a batch or an HTTP event). */
export function kindsFor(fixture: Fixture): MutationKind[] {
  const shape = shapeOf(fixture.json);
  const all = sites(fixture.json);
  return MUTATION_KINDS.filter((kind) => candidates(kind, all, shape).length > 0 || wholeEvent(kind, shape));
}

/** One mutation of `fixture`, of `kind` when given (it must be one of `kindsFor(fixture)`). */
export function mutate(fixture: Fixture, rng: Rng, index = 0, kind?: MutationKind): FuzzEvent {
  const shape = shapeOf(fixture.json);
  const all = sites(fixture.json);
  const chosen = kind ?? rng.pick(kindsFor(fixture));
  const builder = new Builder();
  let path: Segment[] = [];
  let detail: string;
  let doc: Json | typeof REMOVE;
  let text: string | undefined;
  let attributeSwap = false;

  if (chosen === 'empty-batch' || chosen === 'large-batch') {
    if (shape !== 'sqs' && shape !== 'dynamodb-stream') throw new Error(`${chosen} needs a batch event`);
    const batch = chosen === 'empty-batch' ? [] : largeBatch(fixture.json, shape);
    doc = { ...(fixture.json as Record<string, Json>), Records: batch };
    if (chosen === 'large-batch') text = largeBatchText(fixture.json, doc);
    detail = `Records: ${batch.length} records`;
    path = ['Records'];
  } else if (wholeEvent(chosen, shape)) {
    ({ doc, detail, path } = httpMutation(chosen, fixture.json as Record<string, Json>, rng, shape));
  } else {
    const options = candidates(chosen, all, shape);
    if (options.length === 0) throw new Error(`${chosen} does not apply to ${fixture.name}`);
    const site = rng.pick(options);
    path = site.path;
    const change = siteMutation(chosen, site, rng, shape);
    detail = change.detail;
    attributeSwap = change.attributeSwap ?? false;
    doc = apply(fixture.json, path, 0, change.apply, builder.top);
  }
  if (doc === REMOVE) throw new Error('the whole event cannot be dropped');

  text ??= builder.top.render(JSON.stringify(doc));
  const payload = builder.bytes(text);
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const records = shape === 'sqs' || shape === 'dynamodb-stream' ? recordsOf(doc) : [];
  const ids = records.map((record) => {
    const id = recordId(record, shape);
    return typeof id === 'string' && !builder.holdsToken(id) ? id : undefined;
  });
  return {
    index,
    fixture: fixture.name,
    shape,
    kind: chosen,
    path: formatPath(path),
    detail,
    payload,
    bytes,
    deliverable: isDeliverable({
      kind: chosen,
      path,
      shape,
      fixture: fixture.json,
      after: valueAt(doc, path),
      attributeSwap,
    }),
    recordIds: ids.filter((id): id is string => id !== undefined),
    idlessRecords: ids.filter((id) => id === undefined).length,
    intactRecords: intactRecords(chosen, path, records.length, recordsOf(fixture.json).length),
  };
}

// ---- Where a mutation can apply ------------------------------------------------------

/** A step into the JSON inside a string value. */
const EMBEDDED = Symbol('embedded JSON');
type Segment = string | number | typeof EMBEDDED;
/** Returned by a change to remove the value from its parent. */
const REMOVE = Symbol('remove');

interface Site {
  readonly path: Segment[];
  readonly value: Json;
}

/** Every value of the document, the JSON inside its strings included; the root first. */
function sites(doc: Json, prefix: Segment[] = [], into: Site[] = []): Site[] {
  into.push({ path: prefix, value: doc });
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => {
      sites(item, [...prefix, i], into);
    });
  } else if (doc !== null && typeof doc === 'object') {
    for (const [key, value] of Object.entries(doc)) sites(value, [...prefix, key], into);
  } else if (typeof doc === 'string') {
    const inner = embeddedJson(doc);
    if (inner !== undefined) sites(inner, [...prefix, EMBEDDED], into);
  }
  return into;
}

/** The object or array a string holds as JSON text, if it does. */
function embeddedJson(text: string): Json | undefined {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function candidates(kind: MutationKind, all: readonly Site[], shape: EventShape): Site[] {
  const last = (site: Site) => site.path[site.path.length - 1];
  switch (kind) {
    case 'drop':
      return all.filter((s) => s.path.length > 0 && last(s) !== EMBEDDED);
    case 'null':
    case 'wrong-type':
    case 'deep':
      return all.filter((s) => s.path.length > 0);
    case 'empty-value':
      return all.filter(
        (s) =>
          s.path.length > 0 &&
          (typeof s.value === 'string' ? s.value !== '' : s.value !== null && typeof s.value === 'object'),
      );
    case 'huge':
      return all.filter((s) => typeof s.value === 'string' || typeof s.value === 'number');
    case 'invalid-utf8':
      return all.filter((s) => typeof s.value === 'string');
    case 'duplicate-key':
      return all.filter(
        (s) =>
          s.value !== null &&
          typeof s.value === 'object' &&
          !Array.isArray(s.value) &&
          Object.keys(s.value).length > 0,
      );
    case 'bad-base64':
      if (shape === 'http') return all.filter((s) => s.path.length === 0);
      if (shape === 'sqs' || shape === 'dynamodb-stream') return all.filter(isRecordSite);
      return [];
    default:
      return [];
  }
}

/** Kinds that rewrite the event as a whole rather than one place in it. */
function wholeEvent(kind: MutationKind, shape: EventShape): boolean {
  if (kind === 'empty-batch' || kind === 'large-batch') return shape === 'sqs' || shape === 'dynamodb-stream';
  return REQUEST_LINE_AND_HEADERS.includes(kind) && shape === 'http';
}

function isRecordSite(site: Site): boolean {
  return site.path.length === 2 && site.path[0] === 'Records' && typeof site.path[1] === 'number';
}

// ---- Applying a change ---------------------------------------------------------------

type Change = (value: Json, level: Level) => Json | typeof REMOVE;

/**
 * Raw JSON text that `JSON.stringify` cannot produce (a number with 400 digits, a key
 * written twice, nesting deeper than the stack allows): a token stands in for it and is
 * replaced in the text of the document level it belongs to, so text inside an embedded
 * JSON string is escaped by the level above like any other string content.
 */
class Level {
  private readonly raw = new Map<string, string>();

  constructor(readonly builder: Builder) {}

  /** A string value that becomes `text`, unquoted, in this level's JSON. */
  rawValue(text: string): string {
    const token = this.builder.token('FuzzRaw');
    this.raw.set(`"${token}"`, text);
    return token;
  }

  /** A key (with its value) that becomes `text` in this level's JSON. */
  rawMember(text: string): string {
    const token = this.builder.token('FuzzKey');
    this.raw.set(`"${token}":0`, text);
    return token;
  }

  render(json: string): string {
    let out = json;
    for (const [token, text] of this.raw) out = out.split(token).join(text);
    return out;
  }
}

/** The tokens of one event: raw text per level, and bytes placed in the final payload. */
class Builder {
  readonly top = new Level(this);
  private count = 0;
  private readonly byteTokens = new Map<string, Uint8Array>();

  token(prefix: string): string {
    this.count += 1;
    return `${prefix}${this.count}x7q`;
  }

  /** Text for a string that holds `bytes` verbatim in the payload (invalid UTF-8). */
  rawBytes(bytes: Uint8Array): string {
    const token = this.token('FuzzBytes');
    this.byteTokens.set(token, bytes);
    return token;
  }

  holdsToken(text: string): boolean {
    return /Fuzz(Raw|Key|Bytes)\d+x7q/.test(text);
  }

  /** The payload: the text, or its bytes with each byte token replaced. */
  bytes(text: string): string | Uint8Array {
    if (this.byteTokens.size === 0) return text;
    let buffer = Buffer.from(text, 'utf8');
    for (const [token, bytes] of this.byteTokens) {
      const at = buffer.indexOf(token);
      if (at < 0) continue;
      buffer = Buffer.concat([buffer.subarray(0, at), bytes, buffer.subarray(at + Buffer.byteLength(token))]);
    }
    return buffer;
  }
}

function apply(
  value: Json,
  path: readonly Segment[],
  at: number,
  change: Change,
  level: Level,
): Json | typeof REMOVE {
  if (at === path.length) return change(value, level);
  const segment = path[at] as Segment;
  if (segment === EMBEDDED) {
    const inner = new Level(level.builder);
    const updated = apply(JSON.parse(value as string) as Json, path, at + 1, change, inner);
    return inner.render(JSON.stringify(updated === REMOVE ? null : updated));
  }
  if (typeof segment === 'number') {
    const items = [...(value as Json[])];
    const updated = apply(items[segment] as Json, path, at + 1, change, level);
    if (updated === REMOVE) items.splice(segment, 1);
    else items[segment] = updated;
    return items;
  }
  const object = { ...(value as Record<string, Json>) };
  const updated = apply(object[segment] as Json, path, at + 1, change, level);
  if (updated === REMOVE) delete object[segment];
  else object[segment] = updated;
  return object;
}

function valueAt(doc: Json, path: readonly Segment[]): Json | undefined {
  let value: Json | undefined = doc;
  for (const segment of path) {
    if (value === undefined || value === null) return undefined;
    if (segment === EMBEDDED) value = typeof value === 'string' ? embeddedJson(value) : undefined;
    else if (typeof segment === 'number') value = Array.isArray(value) ? value[segment] : undefined;
    else value = typeof value === 'object' && !Array.isArray(value) ? value[segment] : undefined;
  }
  return value;
}

function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    if (segment === EMBEDDED) out += '<json>';
    else if (typeof segment === 'number') out += `[${segment}]`;
    else
      out += /^[A-Za-z_$][\w$-]*$/.test(segment)
        ? `${out ? '.' : ''}${segment}`
        : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

// ---- The mutations at one place ------------------------------------------------------

function siteMutation(
  kind: MutationKind,
  site: Site,
  rng: Rng,
  shape: EventShape,
): { detail: string; apply: Change; attributeSwap?: boolean } {
  const value = site.value;
  switch (kind) {
    case 'drop':
      return { detail: 'dropped', apply: () => REMOVE };
    case 'null':
      return { detail: 'null', apply: () => null };
    case 'wrong-type': {
      const type = shape === 'dynamodb-stream' ? attributeType(value) : undefined;
      if (type !== undefined) {
        // A DynamoDB attribute of another DynamoDB type: the item stays an item.
        const replacement = rng.pick(ATTRIBUTE_VALUES.filter((v) => attributeType(v) !== type));
        return {
          detail: `attribute ${type} → ${JSON.stringify(replacement)}`,
          apply: () => replacement,
          attributeSwap: true,
        };
      }
      const replacement = rng.pick(otherTypes(value));
      return { detail: `${typeName(value)} → ${JSON.stringify(replacement)}`, apply: () => replacement };
    }
    case 'empty-value': {
      const empty: Json = typeof value === 'string' ? '' : Array.isArray(value) ? [] : {};
      return { detail: `emptied to ${JSON.stringify(empty)}`, apply: () => empty };
    }
    case 'huge': {
      if (typeof value === 'number') {
        const text = rng.pick(HUGE_NUMBERS);
        return {
          detail: `number → ${text.length > 24 ? `${text.slice(0, 12)}… (${text.length} chars)` : text}`,
          apply: (_, level) => level.rawValue(text),
        };
      }
      const unit = rng.pick(HUGE_UNITS);
      const count = Math.ceil(HUGE_STRING_BYTES / Buffer.byteLength(unit));
      const text = unit.repeat(count);
      return {
        detail: `string of ${count.toLocaleString('en-US')} × ${JSON.stringify(unit)}`,
        apply: () => text,
      };
    }
    case 'deep': {
      const depth = rng.pick(DEPTHS);
      const objects = rng.int(0, 1) === 1;
      const text = objects
        ? `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`
        : `${'['.repeat(depth)}${']'.repeat(depth)}`;
      return {
        detail: `${depth.toLocaleString('en-US')} nested ${objects ? 'objects' : 'arrays'}`,
        apply: (_, level) => level.rawValue(text),
      };
    }
    case 'invalid-utf8': {
      const bad = rng.pick(INVALID_UTF8);
      const original = value as string;
      const cut = rng.int(0, Math.min(original.length, 64));
      return {
        detail: `${bad.name} at character ${cut}`,
        apply: (_, level) => {
          const builder = level.builder;
          // An escaped lone surrogate is valid UTF-8 text but no valid string: raw JSON text.
          const middle =
            bad.escape !== undefined
              ? builder.rawBytes(Buffer.from(bad.escape))
              : builder.rawBytes(bad.bytes);
          return `${original.slice(0, cut)}${middle}${original.slice(cut)}`;
        },
      };
    }
    case 'duplicate-key': {
      const object = value as Record<string, Json>;
      const key = rng.pick(Object.keys(object));
      const same = rng.int(0, 1) === 0;
      const second: Json = same ? (object[key] as Json) : rng.pick(otherTypes(object[key] as Json));
      return {
        detail: `"${key}" twice${same ? ', same value' : `, then ${JSON.stringify(second).slice(0, 40)}`}`,
        apply: (current, level) => {
          const out: Record<string, Json> = {};
          for (const [k, v] of Object.entries(current as Record<string, Json>)) {
            out[k] = v;
            if (k === key) out[level.rawMember(`${JSON.stringify(key)}:${JSON.stringify(second)}`)] = 0;
          }
          return out;
        },
      };
    }
    case 'bad-base64': {
      const bad = rng.pick(BAD_BASE64);
      if (shape === 'http') {
        return {
          detail: `isBase64Encoded with body ${JSON.stringify(bad)}`,
          apply: (event) => ({ ...(event as Record<string, Json>), body: bad, isBase64Encoded: true }),
        };
      }
      if (shape === 'sqs') {
        return {
          detail: `Binary message attribute ${JSON.stringify(bad)}`,
          apply: (record) => {
            const r = record as Record<string, Json>;
            const attributes = isObject(r.messageAttributes) ? r.messageAttributes : {};
            return {
              ...r,
              messageAttributes: {
                ...attributes,
                blob: { binaryValue: bad, stringListValues: [], binaryListValues: [], dataType: 'Binary' },
              },
            };
          },
        };
      }
      return {
        detail: `binary attribute {"B": ${JSON.stringify(bad)}} in the image`,
        apply: (record) => {
          const r = record as Record<string, Json>;
          const stream = isObject(r.dynamodb) ? r.dynamodb : {};
          const image = isObject(stream.NewImage)
            ? 'NewImage'
            : isObject(stream.OldImage)
              ? 'OldImage'
              : 'Keys';
          const current = isObject(stream[image]) ? stream[image] : {};
          return { ...r, dynamodb: { ...stream, [image]: { ...current, blob: { B: bad } } } };
        },
      };
    }
    default:
      throw new Error(`${kind} is not a mutation at one place`);
  }
}

const HUGE_UNITS: readonly string[] = ['a', 'é', '€', '🦀', '"', '\\', '\u0001', '%', ' '];
const HUGE_NUMBERS: readonly string[] = [
  `1${'0'.repeat(400)}`,
  `-${'9'.repeat(400)}`,
  '1e999',
  '-1e-999',
  '18446744073709551616',
  '-9223372036854775809',
  `0.${'1'.repeat(10_000)}`,
];
/** 128 is serde_json's recursion limit; 100,000 would overflow any recursive parser without one. */
const DEPTHS: readonly number[] = [129, 1_000, 100_000];
const INVALID_UTF8: readonly { name: string; bytes: Uint8Array; escape?: string }[] = [
  { name: 'byte 0xFF', bytes: Uint8Array.of(0xff) },
  { name: 'lone continuation byte 0x80', bytes: Uint8Array.of(0x80) },
  { name: 'truncated sequence C3 28', bytes: Uint8Array.of(0xc3, 0x28) },
  { name: 'overlong "/" C0 AF', bytes: Uint8Array.of(0xc0, 0xaf) },
  { name: 'encoded surrogate ED A0 80', bytes: Uint8Array.of(0xed, 0xa0, 0x80) },
  { name: 'five-byte sequence F8 88 80 80 80', bytes: Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80) },
  { name: 'escaped lone surrogate \\ud800', bytes: Uint8Array.of(), escape: '\\ud800' },
];
const BAD_BASE64: readonly string[] = [
  '%%%%',
  'YWJj=ZGVm',
  'YWJjZA===',
  'A',
  '====',
  'Zm9v YmFy',
  'é',
  '-_-_',
  'YW\u0000Jj',
];

/** One value of each DynamoDB attribute type, as DynamoDB Streams writes them. */
const ATTRIBUTE_VALUES: readonly Json[] = [
  { S: 'text' },
  { N: '1' },
  { BOOL: true },
  { NULL: true },
  { M: {} },
  { L: [] },
  { SS: ['a', 'b'] },
  { NS: ['1', '2'] },
  { B: 'AQID' },
];
const ATTRIBUTE_TYPES: readonly string[] = ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'];

/** The type of a DynamoDB attribute value (`{"N": "1"}` → `N`), if `value` is one. */
function attributeType(value: Json): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && ATTRIBUTE_TYPES.includes(keys[0] as string) ? keys[0] : undefined;
}

function otherTypes(value: Json): Json[] {
  const options: Json[] = [0, -1, 1.5, true, false, 'text', '', [], {}, ['x'], { a: 1 }];
  return options.filter((option) => typeName(option) !== typeName(value));
}

function typeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isObject(value: Json | undefined): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---- HTTP: the request line and headers a client controls ----------------------------

const QUERY_STRINGS: readonly string[] = [
  'q="quoted"',
  'q=a b',
  'q=<script>',
  'q=a>b',
  'q=a\tb',
  'q=a\u0000b',
  'q=a\u007fb',
  'q=%',
  'q=%zz',
  '&&==&',
  'name=%F0%9F%A6%80',
  'name=%FF%FE',
];
const RAW_PATHS: readonly string[] = [
  '/hello/%',
  '/hello/%zz',
  '/hello/a b',
  '/hello/<x>',
  '//',
  '/..',
  '/hello/\u0000',
  '/hello/%FF',
  '/orders/%2F..%2F',
];
const HOSTS: readonly string[] = [
  'exa mple.com',
  '[::1',
  'a]b.example.com',
  'a^b.example.com',
  'a|b.example.com',
  'a%b.example.com',
  'a"b.example.com',
  'a{b}.example.com',
  'a`b.example.com',
  'example.com:99999',
  'example.com:abc',
  'example.com:',
  ':443',
  '',
  'user@example.com',
];
const FORWARDED_PROTOS: readonly string[] = ['', 'HTTP', 'ht tp', 'gopher', 'https,http', 'https '];

function httpMutation(
  kind: MutationKind,
  event: Record<string, Json>,
  rng: Rng,
  shape: EventShape,
): { doc: Json; detail: string; path: Segment[] } {
  if (shape !== 'http') throw new Error(`${kind} needs an HTTP event`);
  const headers = isObject(event.headers) ? event.headers : {};
  switch (kind) {
    case 'query-string': {
      const long = rng.int(0, 3) === 0;
      const query = long ? `q=${'a'.repeat(LONG_QUERY_CHARS + rng.int(0, 4_000))}` : rng.pick(QUERY_STRINGS);
      return {
        doc: { ...event, rawQueryString: query, queryStringParameters: queryParameters(query) },
        detail: long ? `${query.length.toLocaleString('en-US')} characters` : JSON.stringify(query),
        path: ['rawQueryString'],
      };
    }
    case 'raw-path': {
      const long = rng.int(0, 4) === 0;
      const path = long ? `/${'a'.repeat(LONG_QUERY_CHARS + rng.int(0, 4_000))}` : rng.pick(RAW_PATHS);
      const context = isObject(event.requestContext) ? event.requestContext : {};
      const http = isObject(context.http) ? context.http : {};
      return {
        doc: { ...event, rawPath: path, requestContext: { ...context, http: { ...http, path } } },
        detail: long ? `${path.length.toLocaleString('en-US')} characters` : JSON.stringify(path),
        path: ['rawPath'],
      };
    }
    case 'host-header': {
      const host = rng.pick(HOSTS);
      return {
        doc: { ...event, headers: { ...headers, host } },
        detail: JSON.stringify(host),
        path: ['headers', 'host'],
      };
    }
    case 'forwarded-proto': {
      const proto = rng.pick(FORWARDED_PROTOS);
      return {
        doc: { ...event, headers: { ...headers, 'x-forwarded-proto': proto } },
        detail: JSON.stringify(proto),
        path: ['headers', 'x-forwarded-proto'],
      };
    }
    default:
      throw new Error(`${kind} is not an HTTP mutation`);
  }
}

/** `queryStringParameters` as API Gateway derives it: decoded, repeated names joined by commas. */
function queryParameters(query: string): Record<string, Json> {
  const out: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = decode(eq < 0 ? '' : pair.slice(eq + 1));
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---- Shapes, records and how the event is judged ------------------------------------

export function shapeOf(doc: Json): EventShape {
  if (!isObject(doc)) return 'other';
  if (typeof doc.rawPath === 'string' && isObject(doc.requestContext)) return 'http';
  if (Array.isArray(doc.Records)) {
    const first = doc.Records[0];
    if (isObject(first) && typeof first.messageId === 'string') return 'sqs';
    if (isObject(first) && isObject(first.dynamodb)) return 'dynamodb-stream';
  }
  return 'other';
}

function recordsOf(doc: Json): Json[] {
  return isObject(doc) && Array.isArray(doc.Records) ? doc.Records : [];
}

function recordId(record: Json, shape: EventShape): Json | undefined {
  if (!isObject(record)) return undefined;
  if (shape === 'sqs') return record.messageId;
  return isObject(record.dynamodb) ? record.dynamodb.SequenceNumber : undefined;
}

/**
 * `LARGE_BATCH_RECORDS` copies of the fixture's records, each with its own id, as long
 * as they fit in `MAX_EVENT_BYTES`; with larger records, the smallest record repeated
 * as often as fits (Lambda too stops filling a batch at 6 MB).
 */
function largeBatch(fixture: Json, shape: EventShape): Json[] {
  const key = fixture as object;
  const cached = largeBatches.get(key);
  if (cached) return cached;
  const batch = buildLargeBatch(recordsOf(fixture), shape);
  largeBatches.set(key, batch);
  return batch;
}

/** The JSON text of a fixture's large batch event (5 MB: written once, sent many times). */
function largeBatchText(fixture: Json, doc: Json): string {
  const key = fixture as object;
  const cached = largeBatchTexts.get(key);
  if (cached !== undefined) return cached;
  const text = JSON.stringify(doc);
  largeBatchTexts.set(key, text);
  return text;
}

/** Each fixture's large batch, built once: it is never changed after. */
const largeBatches = new WeakMap<object, Json[]>();
const largeBatchTexts = new WeakMap<object, string>();

function buildLargeBatch(records: readonly Json[], shape: EventShape): Json[] {
  if (records.length === 0) return [];
  const size = (record: Json) => Buffer.byteLength(JSON.stringify(record)) + 1;
  const room = MAX_EVENT_BYTES - 1024;
  const average = records.reduce((sum: number, r) => sum + size(r), 0) / records.length;
  let templates = [...records];
  if (average * LARGE_BATCH_RECORDS > room) {
    const smallest = [...records].sort((a, b) => size(a) - size(b))[0] as Json;
    templates = [smallest];
  }
  const perRecord = Math.max(...templates.map(size)) + 8;
  const count = Math.min(LARGE_BATCH_RECORDS, Math.floor(room / perRecord));
  const out: Json[] = [];
  for (let i = 0; i < count; i += 1) {
    out.push(withId(templates[i % templates.length] as Json, shape, i));
  }
  return out;
}

/** A copy of `record` whose identifiers are the `i`-th of a batch (same length as before). */
function withId(record: Json, shape: EventShape, i: number): Json {
  if (!isObject(record)) return record;
  if (shape === 'sqs') {
    return { ...record, messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` };
  }
  const stream = isObject(record.dynamodb) ? record.dynamodb : {};
  const base =
    typeof stream.SequenceNumber === 'string' && /^\d+$/.test(stream.SequenceNumber)
      ? BigInt(stream.SequenceNumber)
      : 100_000_000_000_000_000_000n;
  return {
    ...record,
    eventID: i.toString(16).padStart(32, '0'),
    dynamodb: { ...stream, SequenceNumber: (base + BigInt(i)).toString() },
  };
}

interface DeliverableQuestion {
  readonly kind: MutationKind;
  readonly path: readonly Segment[];
  readonly shape: EventShape;
  /** The fixture before the mutation. */
  readonly fixture: Json;
  /** The value at `path` after it. */
  readonly after: Json | undefined;
  /** A DynamoDB attribute value became one of another DynamoDB type. */
  readonly attributeSwap: boolean;
}

/** See `FuzzEvent.deliverable`; HTTP, SQS and DynamoDB Streams events only. */
function isDeliverable(q: DeliverableQuestion): boolean {
  if (q.kind === 'large-batch' || q.kind === 'empty-batch') return true;
  // Invalid UTF-8 never comes from an AWS service: they encode what they send.
  if (q.kind === 'invalid-utf8') return false;
  // A body marked base64 that is not: API Gateway encodes bodies itself, but the HTTP entry
  // answers 400 to it (docs/hardening.md), so it counts as a client's doing.
  if (q.kind === 'bad-base64') return q.shape === 'http';
  const [first, second] = q.path;
  if (q.shape === 'http') return isClientInput(q) && !headerWithControl(q.path, q.after);
  if (q.shape !== 'sqs' && q.shape !== 'dynamodb-stream') return false;
  if (first !== 'Records' || typeof second !== 'number') return false;
  const inRecord = q.path.slice(2);
  if (inRecord.length === 0) return q.kind === 'drop';
  return q.shape === 'sqs' ? isMessageContent(q, inRecord) : isItemContent(q, inRecord, second);
}

/**
 * Where a client's request reaches an HTTP API event: the path, the query string, header
 * and cookie values, the body (and anything inside a JSON body). API Gateway writes
 * everything else, and always with the same types.
 */
function isClientInput({ kind, path }: DeliverableQuestion): boolean {
  if (REQUEST_LINE_AND_HEADERS.includes(kind)) return true;
  if (path.includes(EMBEDDED)) return path[0] === 'body';
  const [first, second, third] = path;
  const requestPart = (name: Segment | undefined) =>
    name === 'headers' || name === 'cookies' || name === 'queryStringParameters' || name === 'pathParameters';
  if (kind === 'drop') {
    if (path.length === 1)
      return first === 'body' || first === 'cookies' || first === 'queryStringParameters';
    return path.length === 2 && requestPart(first) && first !== 'pathParameters';
  }
  if (kind === 'huge' || kind === 'empty-value') {
    if (path.length === 1) {
      return first === 'body' || first === 'rawQueryString' || (kind === 'huge' && first === 'rawPath');
    }
    if (path.length === 2) return requestPart(first);
    return (
      kind === 'huge' &&
      first === 'requestContext' &&
      second === 'http' &&
      (third === 'path' || third === 'userAgent')
    );
  }
  return false;
}

/** HTTP forbids control characters (but TAB) in header values: no client can send them. */
function headerWithControl(path: readonly Segment[], value: Json | undefined): boolean {
  if (path[0] !== 'headers' && path[0] !== 'cookies') return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point.
  return typeof value === 'string' && /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value);
}

/**
 * What an SQS producer controls: the body (SQS takes up to 1 MiB of any Unicode text but
 * no empty body), and message attributes (present or not, a non-empty string value).
 */
function isMessageContent({ kind, path }: DeliverableQuestion, inRecord: readonly Segment[]): boolean {
  const [field, attribute, part] = inRecord;
  if (field === 'body') return inRecord.length === 1 ? kind === 'huge' : inRecord[1] === EMBEDDED;
  if (field !== 'messageAttributes' || path.includes(EMBEDDED)) return false;
  if (inRecord.length === 2) return kind === 'drop' && typeof attribute === 'string';
  return inRecord.length === 3 && part === 'stringValue' && kind === 'huge';
}

/**
 * What a writer to a DynamoDB table controls: the item images, except their key
 * attributes (the table's schema fixes those): attributes present or not, of any
 * DynamoDB type, strings empty or up to the 400 KB item limit.
 */
function isItemContent(q: DeliverableQuestion, inRecord: readonly Segment[], record: number): boolean {
  const [field, image, attribute] = inRecord;
  if (
    field !== 'dynamodb' ||
    (image !== 'NewImage' && image !== 'OldImage') ||
    typeof attribute !== 'string'
  ) {
    return false;
  }
  const records = isObject(q.fixture) && Array.isArray(q.fixture.Records) ? q.fixture.Records : [];
  const stream = isObject(records[record]) ? records[record].dynamodb : undefined;
  const keys = isObject(stream) && isObject(stream.Keys) ? Object.keys(stream.Keys) : [];
  if (keys.includes(attribute)) return false;
  const inside = inRecord.slice(3);
  const parent = inside[inside.length - 2];
  if (q.kind === 'drop') return inside.length === 0 || parent === 'M' || parent === 'L';
  if (q.kind === 'huge' || q.kind === 'empty-value') return inside[inside.length - 1] === 'S';
  return q.kind === 'wrong-type' && q.attributeSwap;
}

function intactRecords(kind: MutationKind, path: readonly Segment[], after: number, before: number): number {
  if (kind === 'large-batch' || kind === 'empty-batch') return after;
  if (path.length === 0 || path[0] !== 'Records') return path.length === 0 ? 0 : after;
  if (path.length === 1) return 0;
  // One record changed (or removed: then every remaining record is intact).
  return after < before ? after : Math.max(0, after - 1);
}
