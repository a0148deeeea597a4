import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  randomUUID,
  verify,
} from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A browser's side of a push subscription: its P-256 key pair and auth secret (RFC 8291). */
export interface PushSubscriber {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** Decrypts an `aes128gcm` body sent to this subscription. */
  decrypt(body: Buffer): Buffer;
}

export interface ReceivedPush {
  subscriberId: string;
  headers: Record<string, string>;
  /** The decrypted payload, parsed as JSON. */
  payload: Record<string, unknown>;
  /** The `aud` and `sub` claims of the VAPID token, and the key it was signed with. */
  vapid: { audience: string; subject: string; publicKey: string };
}

/** A push the endpoint holds without answering, until the test lets the connection drop. */
export interface StalledPush {
  /** Resolves when the push reached the endpoint. */
  arrived: Promise<void>;
  /** Drops the connection unanswered, as a network failure would. */
  drop(): void;
}

export interface PushEndpoint {
  origin: string;
  /** Pushes taken (answered 201), decrypted. */
  received: ReceivedPush[];
  /** Every POST to a subscriber, with the status it was answered (0: dropped unanswered). */
  posts: { subscriberId: string; status: number }[];
  /** Problems found in requests (bad VAPID token, undecryptable body), for tests to assert none. */
  errors: string[];
  /** A new subscription on this endpoint. */
  subscribe(): PushSubscriber;
  /** Answers every later push to this subscriber with `status` (410: the subscription is gone). */
  answerWith(subscriberId: string, status: number): void;
  /**
   * Answers the next pushes to this subscriber with these statuses, one each (0: takes that one as
   * usual), then as before.
   */
  answerNext(subscriberId: string, ...statuses: number[]): void;
  /** Holds the next push to this subscriber unanswered. */
  stallNext(subscriberId: string): StalledPush;
  close(): Promise<void>;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/**
 * Decrypts one `aes128gcm` message (RFC 8188 framing, RFC 8291 key derivation) with the
 * subscriber's private key and auth secret. Only single-record messages, as push payloads are.
 */
export function decryptAes128gcm(
  body: Buffer,
  ecdh: ReturnType<typeof createECDH>,
  authSecret: Buffer,
): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body.readUInt8(20);
  const senderPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`key id of ${idLength} bytes, not a P-256 point`);
  if (ciphertext.length > recordSize) throw new Error('more than one record');

  const receiverPublic = ecdh.getPublicKey();
  const ecdhSecret = ecdh.computeSecret(senderPublic);
  // RFC 8291 section 3.4: the input keying material mixes in the auth secret and both keys.
  const prkKey = hmac(authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([
    Buffer.from('WebPush: info\0'),
    receiverPublic,
    senderPublic,
    Buffer.from([1]),
  ]);
  const ikm = hmac(prkKey, keyInfo);
  // RFC 8188 section 2.2: the content encryption key and nonce.
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);

  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('missing last-record delimiter');
  return padded.subarray(0, end);
}

/** Checks a `vapid t=<jwt>, k=<key>` header (RFC 8292): an ES256 token signed by `k`, not expired. */
function checkVapid(header: string | undefined): ReceivedPush['vapid'] {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+),\s*k=([\w-]+)$/.exec(header ?? '');
  if (!match) throw new Error(`no VAPID authorization: ${header}`);
  const [token, key] = [match[1]!, match[2]!];
  const [head, claims, signature] = token.split('.') as [string, string, string];
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const valid = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) throw new Error('VAPID signature does not verify');
  const payload = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as {
    aud: string;
    sub: string;
    exp: number;
  };
  if (payload.exp * 1000 < Date.now()) throw new Error('VAPID token expired');
  return { audience: payload.aud, subject: payload.sub, publicKey: key };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

/**
 * A local push service: subscriptions live at `/push/<id>`, each push is checked (VAPID token,
 * `aes128gcm` encoding, TTL) and decrypted with the subscriber's keys, as the browser would.
 */
export async function startPushEndpoint(): Promise<PushEndpoint> {
  const subscribers = new Map<string, PushSubscriber>();
  const answers = new Map<string, number>();
  const nextAnswers = new Map<string, number[]>();
  const stalls = new Map<string, (res: ServerResponse) => void>();
  const received: ReceivedPush[] = [];
  const posts: PushEndpoint['posts'] = [];
  const errors: string[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
      const subscriber = id ? subscribers.get(id) : undefined;
      const body = await readBody(req);
      if (req.method !== 'POST' || !id || !subscriber) {
        res.writeHead(404).end();
        return;
      }
      const stall = stalls.get(id);
      if (stall) {
        stalls.delete(id);
        stall(res);
        return;
      }
      const status = nextAnswers.get(id)?.shift() ?? answers.get(id);
      if (status) {
        posts.push({ subscriberId: id, status });
        res.writeHead(status).end();
        return;
      }
      try {
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('not aes128gcm');
        if (!req.headers.ttl) throw new Error('no TTL header');
        const vapid = checkVapid(req.headers.authorization);
        const payload = JSON.parse(subscriber.decrypt(body).toString('utf8')) as Record<string, unknown>;
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        received.push({ subscriberId: id, headers, payload, vapid });
        posts.push({ subscriberId: id, status: 201 });
        res.writeHead(201, { location: `/messages/${randomUUID()}` }).end();
      } catch (err) {
        errors.push(String(err));
        posts.push({ subscriberId: id, status: 400 });
        res.writeHead(400).end();
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    received,
    posts,
    errors,
    subscribe() {
      const id = randomBytes(8).toString('hex');
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const subscriber: PushSubscriber = {
        id,
        endpoint: `${origin}/push/${id}`,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
        decrypt: (body) => decryptAes128gcm(body, ecdh, auth),
      };
      subscribers.set(id, subscriber);
      return subscriber;
    },
    answerWith(subscriberId, status) {
      answers.set(subscriberId, status);
    },
    answerNext(subscriberId, ...statuses) {
      nextAnswers.set(subscriberId, [...(nextAnswers.get(subscriberId) ?? []), ...statuses]);
    },
    stallNext(subscriberId) {
      let held: ServerResponse | undefined;
      const arrived = new Promise<void>((done) =>
        stalls.set(subscriberId, (res) => {
          held = res;
          posts.push({ subscriberId, status: 0 });
          done();
        }),
      );
      return { arrived, drop: () => held?.destroy() };
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
