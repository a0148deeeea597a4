import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import twilio from 'twilio';
import { parse as parseYaml } from 'yaml';

/** Twilio's OpenAPI description of the 2010-04-01 REST API, beside the repository. */
export const TWILIO_SPEC_PATH =
  process.env.TWILIO_OPENAPI_SPEC ??
  join(resolve(__dirname, '..', '..'), '..', 'shared', 'specs', 'twilio-api-v2010.yaml');

export const twilioSpecMissing = existsSync(TWILIO_SPEC_PATH)
  ? false
  : `Twilio OpenAPI spec not found at ${TWILIO_SPEC_PATH} (set TWILIO_OPENAPI_SPEC)`;

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  dateCreated: Date;
}

export interface TwilioRequestRecord {
  method: string;
  path: string;
  operationId: string | undefined;
  /** Problems the spec found in the request; empty when it conforms. */
  errors: string[];
  status: number;
}

/** Numbers the server treats as invalid, answering Twilio's error 21211 for them. */
export const INVALID_NUMBER = '+15005550001';

export interface TwilioTestServer {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  /** Messages accepted (created), in order. */
  messages: TwilioMessage[];
  requests: TwilioRequestRecord[];
  /**
   * The next message create is accepted (recorded) but its answer is held until `release` is
   * called: as when a worker dies after Twilio took the message and before it heard back.
   */
  holdNextCreate(): { accepted: Promise<TwilioMessage>; release: () => void };
  close(): Promise<void>;
}

const httpDate = (d: Date) => d.toUTCString().replace('GMT', '+0000');

/**
 * A local stand-in for api.twilio.com: every request is checked against Twilio's OpenAPI spec
 * (operation, path, query, form body and basic auth), and answered as Twilio answers: a message
 * resource, a page of them, or Twilio's error body with its code (21211 for an invalid number).
 */
export async function startTwilioServer(): Promise<TwilioTestServer> {
  const definition = parseYaml(readFileSync(TWILIO_SPEC_PATH, 'utf8'));
  const api = new OpenAPIBackend({
    definition,
    quick: true,
    validate: true,
    strict: false,
    // The spec's own formats are checked, not skipped: a malformed number or URL is a failure.
    customizeAjv: (ajv) => {
      ajv.addFormat('phone-number', /^(\+[1-9]\d{1,14}|[a-z]+:\+?[\w.@-]+)$/);
      ajv.addFormat('uri', { validate: (s: string) => URL.canParse(s) });
      ajv.addFormat('date-time', { validate: (s: string) => !Number.isNaN(Date.parse(s)) });
      return ajv;
    },
  });
  await api.init();

  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const from = '+15005550006';
  const messages: TwilioMessage[] = [];
  const requests: TwilioRequestRecord[] = [];
  let hold: { resolveAccepted: (m: TwilioMessage) => void; released: Promise<void> } | null = null;

  const resource = (m: TwilioMessage) => ({
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: httpDate(m.dateCreated),
    date_sent: null,
    date_updated: httpDate(m.dateCreated),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(m.body.length / 153))),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: 'queued',
    subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}/Media.json` },
    to: m.to,
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`,
  });

  const twilioError = (status: number, code: number, message: string) => ({
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://twilio.test');
    const method = (req.method ?? 'GET').toLowerCase();
    const contentType = req.headers['content-type'] ?? '';
    const body = /x-www-form-urlencoded/.test(contentType)
      ? Object.fromEntries(new URLSearchParams(raw))
      : raw
        ? raw
        : undefined;
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const request = { method, path: url.pathname, query, headers, body };
    const operation = api.matchOperation(request) as Operation | undefined;
    const record: TwilioRequestRecord = {
      method,
      path: url.pathname,
      operationId: operation?.operationId,
      errors: [],
      status: 0,
    };
    requests.push(record);
    const answer = (status: number, payload: unknown) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };

    if (!operation) {
      record.errors.push(`no operation of the spec matches ${method} ${url.pathname}`);
      answer(404, twilioError(404, 20404, 'The requested resource was not found'));
      return;
    }
    const validation = api.validateRequest(request, operation);
    for (const err of validation.errors ?? []) record.errors.push(`${err.instancePath} ${err.message}`);
    const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expectedAuth) {
      record.errors.push('missing or wrong basic auth');
      answer(401, twilioError(401, 20003, 'Authenticate'));
      return;
    }
    if (record.errors.length > 0) {
      answer(400, twilioError(400, 21601, record.errors.join('; ')));
      return;
    }

    const form = (body ?? {}) as Record<string, string>;
    switch (operation.operationId) {
      case 'CreateMessage': {
        const to = form.To ?? '';
        if (!/^\+[1-9]\d{6,14}$/.test(to) || to === INVALID_NUMBER) {
          answer(400, twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
          return;
        }
        if (!form.Body) {
          answer(400, twilioError(400, 21602, 'Message body is required.'));
          return;
        }
        const message: TwilioMessage = {
          sid: `SM${randomBytes(16).toString('hex')}`,
          to,
          from: form.From ?? '',
          body: form.Body,
          statusCallback: form.StatusCallback ?? null,
          dateCreated: new Date(),
        };
        messages.push(message);
        const held = hold;
        hold = null;
        if (held) {
          held.resolveAccepted(message);
          await held.released;
        }
        answer(201, resource(message));
        return;
      }
      case 'ListMessage': {
        const pageSize = Number(query.PageSize ?? 50);
        const found = messages
          .filter((m) => (!query.To || m.to === query.To) && (!query.From || m.from === query.From))
          .reverse()
          .slice(0, pageSize);
        const uri = `${url.pathname}${url.search}`;
        answer(200, {
          messages: found.map(resource),
          end: Math.max(0, found.length - 1),
          first_page_uri: uri,
          next_page_uri: null,
          page: 0,
          page_size: pageSize,
          previous_page_uri: null,
          start: 0,
          uri,
        });
        return;
      }
      default:
        answer(405, twilioError(405, 20004, `no answer for ${operation.operationId} here`));
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    from,
    messages,
    requests,
    holdNextCreate() {
      let release!: () => void;
      const released = new Promise<void>((done) => (release = done));
      let resolveAccepted!: (m: TwilioMessage) => void;
      const accepted = new Promise<TwilioMessage>((done) => (resolveAccepted = done));
      hold = { resolveAccepted, released };
      return { accepted, release };
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Signs a status callback as Twilio does (X-Twilio-Signature over the URL and the sorted fields). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
