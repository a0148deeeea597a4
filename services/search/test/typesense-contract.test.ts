import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OpenAPIBackend, type Operation, type Request as SpecRequest } from 'openapi-backend';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { MESSAGES_COLLECTION, TypesenseBackend, filterValue } from '../src/engine/typesense-backend';
import type { IndexedMessage } from '../src/engine/types';

// Typesense cannot run here: every request its adapter sends is captured before it leaves the
// process and checked against Typesense's own OpenAPI description.
const specPath =
  process.env.TYPESENSE_OPENAPI_SPEC ??
  join(resolve(__dirname, '..', '..', '..'), '..', 'shared', 'specs', 'typesense-openapi.yml');
const missing = existsSync(specPath)
  ? false
  : `Typesense OpenAPI spec not found at ${specPath} (looked in ../shared/specs or TYPESENSE_OPENAPI_SPEC)`;

/** What the client's axios hands an adapter: the parts used here. */
interface AdapterConfig {
  url?: string;
  baseURL?: string;
  method?: string;
  params?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  data?: unknown;
}

interface Captured {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  operationId?: string;
}

/** Canned answers, by operation, shaped like Typesense's. */
function answer(operationId: string | undefined, captured: Captured, seen: Set<string>): [number, unknown] {
  switch (operationId) {
    case 'getCollection': {
      const first = !seen.has(captured.path);
      seen.add(captured.path);
      return first ? [404, { message: 'Not Found' }] : [200, { name: 'x', fields: [] }];
    }
    case 'createCollection':
      return [201, captured.body];
    case 'indexDocument':
      return [201, captured.body];
    case 'importDocuments':
      return [
        200,
        String(captured.body)
          .split('\n')
          .map(() => '{"success":true}')
          .join('\n'),
      ];
    case 'deleteDocument':
      return [200, { id: captured.path.split('/').pop() }];
    case 'deleteDocuments':
      return [200, { num_deleted: 0 }];
    case 'health':
      return [200, { ok: true }];
    case 'multiSearch':
      return [
        200,
        {
          results: [
            {
              found: 1,
              hits: [
                {
                  document: {
                    id: 'm1',
                    conversationId: 'c_a',
                    senderId: 'alice',
                    text: 'the quarterly budget',
                    hasAttachment: false,
                    createdAt: Date.UTC(2026, 0, 1),
                    version: 0,
                  },
                },
              ],
            },
          ],
        },
      ];
    case 'searchCollection':
      return [
        200,
        { found: 1, hits: [{ document: { id: 'u1', username: 'anna', displayName: 'Anna', terms: [] } }] },
      ];
    default:
      return [500, { message: `no canned answer for ${operationId}` }];
  }
}

/**
 * The request as the spec describes it. Typesense describes some query strings as one exploded
 * object parameter (`searchParameters`, `multiSearchParameters`): those keys are gathered into it.
 */
function asSpecRequest(api: OpenAPIBackend, captured: Captured) {
  const operation = api.matchOperation({ method: captured.method, path: captured.path, headers: {} }) as
    Operation | undefined;
  const query: Record<string, unknown> = { ...captured.query };
  const params = (operation?.parameters ?? []) as { in: string; name: string; schema?: { type?: string } }[];
  const queryParams = params.filter((p) => p.in === 'query');
  const exploded = queryParams.find((p) => p.schema?.type === 'object' || !p.schema?.type);
  if (exploded) {
    const named = new Set(queryParams.map((p) => p.name));
    const inner: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(captured.query)) {
      if (named.has(key)) continue;
      inner[key] = value;
      delete query[key];
    }
    query[exploded.name] = inner;
  }
  return {
    operation,
    request: {
      method: captured.method,
      path: captured.path,
      // An object-valued (deepObject) parameter is checked as the object; the type only allows strings.
      query: query as SpecRequest['query'],
      headers: captured.headers,
      body: captured.body,
    },
  };
}

t.test(
  'every request of the Typesense adapter matches the Typesense OpenAPI spec',
  { skip: missing },
  async (t) => {
    const definition = parseYaml(readFileSync(specPath, 'utf8'));
    const api = new OpenAPIBackend({ definition, quick: true, validate: true, strict: false });
    await api.init();

    const captured: Captured[] = [];
    const seen = new Set<string>();
    const adapter = async (config: AdapterConfig) => {
      const url = new URL(config.url ?? '', config.baseURL);
      const query: Record<string, string> = {};
      for (const [key, value] of Object.entries(config.params ?? {})) query[key] = String(value);
      for (const [key, value] of url.searchParams) query[key] = value;
      const headers = Object.fromEntries(
        Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      let body: unknown = config.data;
      if (typeof body === 'string' && /json/.test(headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(body);
        } catch {
          // JSONL (an import) stays text.
        }
      }
      const request: Captured = {
        method: (config.method ?? 'get').toLowerCase(),
        path: url.pathname,
        query,
        headers,
        body,
      };
      request.operationId = asSpecRequest(api, request).operation?.operationId;
      captured.push(request);
      const [status, data] = answer(request.operationId, request, seen);
      return { data, status, statusText: String(status), headers: {}, config, request: {} };
    };

    const backend = new TypesenseBackend('http://typesense.invalid:8108', 'test-key', {
      client: { axiosAdapter: adapter as never, numRetries: 0 },
    });
    const message = (id: string, text: string, extra: Partial<IndexedMessage> = {}): IndexedMessage => ({
      id,
      conversationId: 'c_a',
      senderId: 'alice',
      text,
      hasAttachment: false,
      createdAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
      editedAt: null,
      version: 0,
      ...extra,
    });

    // Exercise every call the adapter makes, with every kind of input.
    await backend.init();
    await backend.health();
    await backend.upsertMessages([message('m1', 'the quarterly budget')]);
    await backend.upsertMessages([
      message('m2', '北京 🎉', { hasAttachment: true }),
      message('m3', 'edited', { version: 2, editedAt: new Date().toISOString() }),
    ]);
    await backend.removeMessage('m2');
    await backend.clearMessages();
    const page = await backend.searchMessages({
      text: 'quarterly OR annual budg -draft 東京 🚀',
      conversationIds: ['c_a', 'c_b'],
      senderIds: ['alice'],
      from: new Date(Date.UTC(2026, 0, 1)),
      to: new Date(Date.UTC(2026, 1, 1)),
      hasAttachment: false,
      sort: 'relevance',
      page: 2,
      perPage: 10,
    });
    await backend.searchMessages({ text: '', conversationIds: ['c_a'], sort: 'date', page: 1, perPage: 20 });
    await backend.upsertPerson({
      id: 'u1',
      username: 'anna',
      displayName: 'Anna Karenina',
      avatarMediaId: null,
    });
    await backend.upsertPerson({ id: 'u2', username: 'ivan', displayName: 'Иван', avatarMediaId: 'media-1' });
    await backend.removePerson('u1');
    const people = await backend.searchPeople({ text: 'ann', limit: 5 });

    t.same(
      [...new Set(captured.map((c) => c.operationId))].sort(),
      [
        'createCollection',
        'deleteDocument',
        'deleteDocuments',
        'getCollection',
        'health',
        'importDocuments',
        'indexDocument',
        'multiSearch',
        'searchCollection',
      ],
      'every kind of request was exercised',
    );
    for (const request of captured) {
      const { request: specRequest } = asSpecRequest(api, request);
      const result = api.validateRequest(specRequest);
      t.ok(result.valid, `${request.method.toUpperCase()} ${request.path} (${request.operationId})`, {
        errors: result.errors,
        query: request.query,
        body: request.body,
      });
      t.equal(request.headers['x-typesense-api-key'], 'test-key', 'the API key travels in its header');
    }

    t.test('the validator refuses what breaks the spec, so the checks above can fail', async (t) => {
      const broken = api.validateRequest({
        method: 'post',
        path: '/multi_search',
        query: { multiSearchParameters: {} } as unknown as SpecRequest['query'],
        headers: {},
        body: { searches: [{ collection: MESSAGES_COLLECTION, q: '*', per_page: 'ten', prefix: true }] },
      });
      t.notOk(broken.valid);
    });

    t.test('the membership filter is the first clause of every message search', async (t) => {
      const searches = captured
        .filter((c) => c.operationId === 'multiSearch')
        .flatMap((c) => (c.body as { searches: { filter_by: string }[] }).searches);
      t.equal(searches.length, 2);
      t.match(searches[0]?.filter_by, /^conversationId:=\[`c_a`,`c_b`\] && senderId:=\[`alice`\] && /);
      t.match(searches[1]?.filter_by, /^conversationId:=\[`c_a`\]$/);
      t.throws(() => filterValue('c_a`] || conversationId:!=[`x'), 'a value cannot close its quote');
    });

    t.test('answers are mapped back to messages and people', async (t) => {
      t.equal(page.found, 1);
      t.equal(page.hits[0]?.message.createdAt, '2026-01-01T00:00:00.000Z');
      t.equal(page.hits[0]?.snippet, 'the <mark>quarterly</mark> <mark>budget</mark>');
      t.same(people, [{ id: 'u1', username: 'anna', displayName: 'Anna', avatarMediaId: null }]);
    });
  },
);
