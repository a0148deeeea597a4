#!/usr/bin/env node
// A group conversation held by real Socket.IO clients through the whole running platform:
// gateway, chat service, Dapr pub/sub and the Redis adapter. Start the platform with `npm start`,
// then run `npm run demo`. PARLEY_GATEWAY_URL points it at another gateway.
import { randomBytes, randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';

const gateway = (process.env.PARLEY_GATEWAY_URL ?? 'http://127.0.0.1:4400').replace(/\/$/, '');
const api = `${gateway}/api/v1`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(path, { method, body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${api}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw new Error(`${method ?? 'POST'} ${path} answered ${res.status}: ${text}`);
  return data;
}

async function register(name) {
  const username = `${name}_${randomBytes(4).toString('hex')}`;
  const password = `demo-${randomBytes(12).toString('base64url')}`;
  const { user } = await call('/accounts', {
    body: { username, email: `${username}@example.test`, password, displayName: name },
  });
  const session = await call('/sessions', { body: { login: username, password } });
  return { name, userId: user.id, token: session.accessToken };
}

/** A connected client that keeps a log of what it received, readable by a person. */
async function connect(user, names) {
  const socket = io(gateway, {
    transports: ['websocket'],
    reconnection: false,
    auth: { token: user.token },
    extraHeaders: { origin: new URL(gateway).origin },
  });
  const log = [];
  const who = (id) => names.get(id) ?? id.slice(0, 8);
  socket.on('message', (m) =>
    log.push(`message #${m.seq} from ${who(m.senderId)}: ${JSON.stringify(m.text)}`),
  );
  socket.on('message:edited', (e) => log.push(`edited #${e.message.seq}: ${JSON.stringify(e.message.text)}`));
  socket.on('reaction', (e) =>
    log.push(
      `reactions on #${e.message.seq}: ${e.message.reactions.map((r) => `${r.emoji}×${r.userIds.length}`).join(' ')}`,
    ),
  );
  socket.on('typing', (e) => log.push(`${who(e.userId)} is ${e.active ? 'typing' : 'no longer typing'}`));
  socket.on('receipt', (e) => log.push(`${who(e.userId)} ${e.kind} up to #${e.seq}`));
  socket.on('presence', (p) => log.push(`${who(p.userId)} is ${p.status}`));
  socket.on('member:added', (e) => log.push(`${who(e.userId)} joined as ${e.role}`));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (err) =>
      reject(new Error(`${user.name} could not connect: ${err.data?.code ?? err.message}`)),
    );
  });
  return { ...user, socket, log };
}

async function request(client, event, data) {
  const ack = await client.socket.timeout(10_000).emitWithAck(event, data);
  if (!ack.ok) throw new Error(`${client.name}: ${event} refused: ${ack.error.code} ${ack.error.message}`);
  return ack;
}

async function main() {
  console.log(`Parley demo against ${gateway}\n`);
  const [ana, ben, cleo] = await Promise.all(['ana', 'ben', 'cleo'].map(register));
  console.log(`registered ana, ben and cleo`);
  const group = await call('/conversations', {
    token: ana.token,
    body: {
      type: 'group',
      name: 'Weekend plans',
      topic: 'Where do we go?',
      memberIds: [ben.userId, cleo.userId],
    },
  });
  console.log(`ana created the group "${group.name}" (${group.id}) with ben and cleo\n`);

  const names = new Map([ana, ben, cleo].map((u) => [u.userId, u.name]));
  const clients = await Promise.all([ana, ben, cleo].map((user) => connect(user, names)));
  const [anaC, benC, cleoC] = clients;
  await sleep(500);

  await request(anaC, 'typing', { conversationId: group.id });
  const first = await request(anaC, 'message:send', {
    conversationId: group.id,
    clientMessageId: randomUUID(),
    text: 'Hiking on Saturday? <b>Bring</b> water & snacks',
  });
  await sleep(200);
  await request(benC, 'typing', { conversationId: group.id });
  await request(benC, 'message:send', {
    conversationId: group.id,
    clientMessageId: randomUUID(),
    text: "I'm in!",
    replyToId: first.message.id,
  });
  const retried = randomUUID();
  await request(cleoC, 'message:send', {
    conversationId: group.id,
    clientMessageId: retried,
    text: 'Count me in too',
  });
  // A retry of the same send (a lost acknowledgement, say) does not make a second message.
  await request(cleoC, 'message:send', {
    conversationId: group.id,
    clientMessageId: retried,
    text: 'Count me in too',
  });
  await call(`/messages/${first.message.id}/reactions/${encodeURIComponent('👍')}`, {
    method: 'PUT',
    token: cleo.token,
  });
  await call(`/messages/${first.message.id}`, {
    method: 'PATCH',
    token: ana.token,
    body: { text: 'Hiking on Saturday at 9? Bring water & snacks' },
  });
  await sleep(500);
  const lastSeq = Math.max(...benC.log.map((l) => Number(/^message #(\d+)/.exec(l)?.[1] ?? 0)));
  await request(benC, 'receipt', { conversationId: group.id, kind: 'read', seq: lastSeq });
  await request(cleoC, 'receipt', { conversationId: group.id, kind: 'delivered', seq: lastSeq });
  await sleep(1_500);

  for (const client of clients) {
    console.log(`${client.name} received:`);
    for (const line of client.log) console.log(`  ${line}`);
    console.log('');
  }
  const receipts = await call(`/messages/${first.message.id}/receipts`, { token: ana.token });
  const readers = receipts.readBy.map((r) => clients.find((c) => c.userId === r.userId)?.name ?? r.userId);
  console.log(
    `ana's first message: read by ${receipts.readCount} of ${receipts.of} (${readers.join(', ') || 'nobody'})`,
  );
  const history = await call(`/conversations/${group.id}/messages`, { token: ana.token });
  console.log(
    `history holds ${history.items.length} messages, sequence ${history.items.map((m) => m.seq).join(', ')}`,
  );
  for (const client of clients) client.socket.disconnect();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`demo failed: ${err.message}`);
    console.error('Is the platform running (npm start)?');
    process.exit(1);
  },
);
