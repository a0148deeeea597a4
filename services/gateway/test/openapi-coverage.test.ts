import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OpenAPIBackend } from 'openapi-backend';
import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { opsRoutes } from '../src/ops/routes';
import { RESOURCE_OWNERS } from '../src/proxy/routes';

// The document must list every public route the services register, and nothing else under
// /api/v1. The routes are read from the services' own routers, built with stand-in dependencies
// and never started, so a route added or removed in code without the document fails here.

const REPO = join(__dirname, '..', '..', '..');
const SPEC_FILE = join(__dirname, '..', 'openapi.yaml');
const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
/** Where a service's main.ts mounts a router whose paths are relative (`/media`, `/conversations`). */
const RELATIVE_MOUNT = '/v1';
/** Paths a router registers as written, without a mount prefix. */
const ABSOLUTE_PREFIXES = ['/v1/', '/internal/', '/dapr/', '/.well-known/'];

type Json = Record<string, unknown>;

interface Registered {
  /** `GET /api/v1/media/{mediaId}`: the method and the path as the gateway's clients call it. */
  key: string;
  /** The factory and file that registered it, for the failure message. */
  source: string;
}

const doc = parseYaml(readFileSync(SPEC_FILE, 'utf8')) as Json;

/** A stand-in for any dependency: every property, call and construction gives another one. */
function standIn(): unknown {
  const target = function () {};
  return new Proxy(target, {
    get: (_target, key) => {
      if (key === Symbol.toPrimitive) return () => 'stand-in';
      // Not a thenable, or `await` would call it.
      if (key === 'then') return undefined;
      return standIn();
    },
    apply: () => standIn(),
    construct: () => standIn() as object,
  });
}

/** `/v1/media/:mediaId` as OpenAPI writes it; Express patterns beyond named segments are refused. */
function openApiPath(expressPath: string, source: string): string {
  if (/[*?{}()]/.test(expressPath)) {
    throw new Error(`${source}: ${expressPath} is a pattern the document cannot name; extend this test`);
  }
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The method and path of every route on an Express router, under `prefix`. */
function routesOn(router: unknown, prefix: string, source: string): { method: string; path: string }[] {
  const found: { method: string; path: string }[] = [];
  for (const layer of (router as { stack: Json[] }).stack) {
    const route = layer.route as { path: unknown; methods: Record<string, boolean> } | undefined;
    if (!route) {
      if (Array.isArray((layer.handle as Json | undefined)?.stack)) {
        throw new Error(`${source}: a nested router, whose mount path cannot be read; extend this test`);
      }
      continue;
    }
    if (typeof route.path !== 'string') throw new Error(`${source}: a route whose path is not a string`);
    for (const method of Object.keys(route.methods)) {
      if (method === '_all') throw new Error(`${source}: ${route.path} takes every method`);
      found.push({ method: method.toUpperCase(), path: openApiPath(prefix + route.path, source) });
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The routes a service registers: every exported `...Routes` factory of its source, called with
 * stand-ins. A router of relative paths must be one that main.ts mounts at `/v1`.
 */
async function serviceRoutes(service: string): Promise<{ method: string; path: string; source: string }[]> {
  const src = join(REPO, 'services', service, 'src');
  const mainText = readFileSync(join(src, 'main.ts'), 'utf8');
  const found: { method: string; path: string; source: string }[] = [];
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    // Routes put straight on the app would not be seen through a router.
    if (/\bapp\.(get|post|put|patch|delete|all)\(\s*['`]\/v1\//.test(text)) {
      throw new Error(`${relative(REPO, file)} registers a public route on the app; use a router`);
    }
    if (!/export function \w+Routes\(/.test(text)) continue;
    const exports = (await import(file)) as Record<string, unknown>;
    for (const [name, factory] of Object.entries(exports)) {
      if (typeof factory !== 'function' || !/Routes$/.test(name) || name.startsWith('mount')) continue;
      const source = `${name} in ${relative(REPO, file)}`;
      const router = (factory as (...args: unknown[]) => unknown)(
        ...Array.from({ length: factory.length }, standIn),
      );
      if (!Array.isArray((router as Json | undefined)?.stack)) continue;
      const paths = routesOn(router, '', source);
      const relativeOnes = paths.some((r) => !ABSOLUTE_PREFIXES.some((p) => r.path.startsWith(p)));
      if (
        relativeOnes &&
        !(mainText.includes(`app.use('${RELATIVE_MOUNT}'`) && mainText.includes(`${name}(`))
      ) {
        throw new Error(`${source}: relative paths, but ${service}'s main.ts does not mount it at /v1`);
      }
      const prefix = relativeOnes ? RELATIVE_MOUNT : '';
      for (const route of routesOn(router, prefix, source)) found.push({ ...route, source });
    }
  }
  return found;
}

/** Every public route: the services' `/v1/...` as forwarded by the gateway, and its operator routes. */
async function registeredRoutes(): Promise<Registered[]> {
  const registered: Registered[] = [];
  for (const service of new Set(Object.values(RESOURCE_OWNERS))) {
    for (const route of await serviceRoutes(service)) {
      if (!route.path.startsWith('/v1/')) continue;
      const resource = route.path.split('/')[2]!;
      if (RESOURCE_OWNERS[resource] !== service) {
        throw new Error(`${route.source}: ${route.path} is not forwarded to ${service} by the gateway`);
      }
      registered.push({ key: `${route.method} /api${route.path}`, source: route.source });
    }
  }
  const gatewayMain = readFileSync(join(__dirname, '..', 'src', 'main.ts'), 'utf8');
  const opsMount = /app\.use\('([^']+)', opsRoutes\(/.exec(gatewayMain)?.[1];
  if (!opsMount) throw new Error("the gateway's main.ts no longer mounts opsRoutes as this test reads it");
  for (const route of routesOn(opsRoutes(standIn() as never, 'token'), opsMount, 'opsRoutes')) {
    registered.push({ key: `${route.method} ${route.path}`, source: 'opsRoutes in services/gateway' });
  }
  return registered;
}

/** What a local `$ref` points at, or undefined. */
function resolveRef(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function refsIn(node: unknown, at: string, found: { at: string; ref: string }[] = []) {
  if (Array.isArray(node)) node.forEach((item, i) => refsIn(item, `${at}/${i}`, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push({ at, ref: value });
      else refsIn(value, `${at}/${key}`, found);
    }
  }
  return found;
}

/** Keys whose value is null: in a flow mapping an unquoted comma ends a value and starts a key. */
function emptyKeys(node: unknown, at: string, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item, i) => emptyKeys(item, `${at}/${i}`, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (value === null) found.push(`${at}/${key}`);
      else emptyKeys(value, `${at}/${key}`, found);
    }
  }
  return found;
}

/**
 * Every method and path the document describes, a path parameter with an enum spelt out once per
 * value (`/invites/{inviteId}/{action}` is five routes in code).
 */
function documentedRoutes(): string[] {
  const keys: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const parameters = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])]
        .map((p) => (typeof p.$ref === 'string' ? (resolveRef(p.$ref) as Json) : p))
        .filter((p) => p?.in === 'path');
      let paths = [path];
      for (const parameter of parameters) {
        const values = (parameter.schema as Json | undefined)?.enum as string[] | undefined;
        if (!values) continue;
        paths = paths.flatMap((p) => values.map((v) => p.replace(`{${parameter.name as string}}`, v)));
      }
      for (const p of paths) keys.push(`${method.toUpperCase()} ${p}`);
    }
  }
  return keys;
}

/**
 * The document in the OpenAPI 3.0 form of the schema the installed validator checks: its 3.1
 * nullable types (`[string, 'null']`) and `const` written as 3.0 spells them. Anything else 3.1
 * allows and 3.0 does not fails the check, which is stricter than needed, never laxer.
 */
function as30(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(as30);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Json = {};
  for (const [key, value] of Object.entries(node)) copy[key] = as30(value);
  if (Array.isArray(copy.type) && copy.type.includes('null') && copy.type.length === 2) {
    copy.type = copy.type.find((type) => type !== 'null');
    copy.nullable = true;
  }
  if ('const' in copy && typeof copy.const !== 'object') {
    copy.enum = [copy.const];
    delete copy.const;
  }
  return copy;
}

t.test('every $ref in the document resolves', async (t) => {
  const unresolved = refsIn(doc, '').filter(({ ref }) => resolveRef(ref) === undefined);
  t.same(unresolved, [], 'no $ref points at nothing');
});

t.test('no key of the document is left without a value', async (t) => {
  t.same(emptyKeys(doc, ''), [], 'quote a value that holds a comma');
});

t.test('the document is a valid OpenAPI 3 description', async (t) => {
  t.equal(doc.openapi, '3.1.0', 'the document is OpenAPI 3.1');
  const definition = { ...(as30(doc) as Json), openapi: '3.0.3' };
  const api = new OpenAPIBackend({ definition: definition as never, strict: true, validate: false });
  await t.resolves(api.init(), 'the OpenAPI schema accepts it');
});

t.test('every public route is documented, and every documented route exists', async (t) => {
  const registered = await registeredRoutes();
  const documented = new Set(documentedRoutes());
  const inCode = new Set(registered.map((r) => r.key));
  t.ok(registered.length > 50, `read ${registered.length} routes from the services`);

  const undocumented = registered.filter((r) => !documented.has(r.key)).map((r) => `${r.key} (${r.source})`);
  t.same(undocumented, [], 'each route the services register is in openapi.yaml');

  // Outside /api/v1 the gateway answers itself (/livez, /readyz); those are not read here.
  const invented = [...documented].filter(
    (key) => key.split(' ')[1]!.startsWith('/api/v1/') && !inCode.has(key),
  );
  t.same(invented, [], 'each /api/v1 operation in openapi.yaml is a route in code');
});
