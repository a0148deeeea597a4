import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type StackOptions, toolBin } from '@parley/devstack';
import { Connection, Client } from '@temporalio/client';
import type { Test } from 'tap';
import { linkToken, waitForEmail } from '../support/mailbox';
import { type PushEndpoint, type PushSubscriber, startPushEndpoint } from '../support/push-endpoint';
import { chatApi } from '../support/chat';
import { type TestStack, startTestStack } from '../support/stack';
import { type TwilioTestServer, startTwilioServer } from '../support/twilio-server';
import { type RegisteredUser, callJson, registerAndLogin } from '../support/users';

export interface NotificationWorld {
  test: TestStack;
  twilio: TwilioTestServer;
  push: PushEndpoint;
  gateway: string;
  api: string;
  mailPort: number;
  temporal: Client;
}

/**
 * A whole stack whose worker sends SMS to a local Twilio server (checked against Twilio's spec)
 * and web push to a local push endpoint (which decrypts every payload), torn down with the test.
 */
export async function startNotificationWorld(
  t: Test,
  overrides: Partial<StackOptions> = {},
): Promise<NotificationWorld> {
  const twilio = await startTwilioServer();
  t.teardown(() => twilio.close());
  const push = await startPushEndpoint();
  t.teardown(() => push.close());
  const test = await startTestStack(t, {
    ...overrides,
    env: {
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: twilio.from,
      TWILIO_API_BASE_URL: twilio.baseUrl,
      PUSH_ALLOW_LOOPBACK_HTTP: 'true',
      ...overrides.env,
    },
  });
  const gateway = new URL(test.stack.urls().web).origin;
  const connection = await Connection.connect({ address: `127.0.0.1:${test.stack.ports.temporal}` });
  t.teardown(() => connection.close());
  return {
    test,
    twilio,
    push,
    gateway,
    api: `${gateway}/api/v1`,
    mailPort: test.stack.ports.mailWeb,
    temporal: new Client({ connection }),
  };
}

/** A phone number in the fictional 555 range, different for every user. */
export const phoneNumber = () => `+1555${String(randomInt(1_000_000, 9_999_999))}`;

/** Registers a user and verifies their email address through the link emailed to them. */
export async function verifiedUser(
  world: NotificationWorld,
  phone?: string,
  displayName?: string,
): Promise<RegisteredUser> {
  const user = await registerAndLogin(world.gateway, {
    ...(phone ? { phone } : {}),
    ...(displayName ? { displayName } : {}),
  });
  const mail = await waitForEmail(world.mailPort, user.email, /Confirm your email/);
  const verified = await callJson(`${world.api}/accounts/email-verification`, {
    body: { token: linkToken(mail) },
  });
  if (verified.status !== 204) throw new Error(`verification answered ${verified.status}`);
  return user;
}

export async function setPreferences(world: NotificationWorld, user: RegisteredUser, patch: object) {
  const res = await callJson(`${world.api}/notifications/preferences`, {
    method: 'PATCH',
    token: user.accessToken,
    body: patch,
  });
  if (res.status !== 200) throw new Error(`preferences answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function subscribePush(world: NotificationWorld, user: RegisteredUser): Promise<PushSubscriber> {
  const subscriber = world.push.subscribe();
  const res = await callJson(`${world.api}/notifications/push-subscriptions`, {
    token: user.accessToken,
    body: { endpoint: subscriber.endpoint, keys: subscriber.keys },
  });
  if (res.status !== 201)
    throw new Error(`push subscription answered ${res.status}: ${JSON.stringify(res.body)}`);
  return subscriber;
}

/**
 * A sender and a verified recipient (with `phone`, when given) whose notification preferences
 * are `preferences`, and the direct conversation the sender opened with them.
 */
export async function directPair(world: NotificationWorld, preferences: object, phone?: string) {
  const sender = await verifiedUser(world);
  const recipient = await verifiedUser(world, phone);
  await setPreferences(world, recipient, preferences);
  const chat = chatApi(world.gateway, sender.accessToken);
  const conversation = await chat.direct(recipient.userId);
  return { sender, recipient, chat, conversation };
}

export interface LedgerView {
  messageId: string;
  conversationId: string;
  recipients: {
    recipientId: string;
    timeline: { at: string; event: string; channel: string | null; detail: string | null }[];
  }[];
}

export function ledger(world: NotificationWorld, token: string, messageId: string) {
  return callJson<LedgerView>(`${world.api}/notifications/deliveries?messageId=${messageId}`, { token });
}

/** The events of one recipient's timeline for a message, in order. */
export async function timelineEvents(
  world: NotificationWorld,
  token: string,
  messageId: string,
  recipientId: string,
) {
  const res = await ledger(world, token, messageId);
  if (res.status !== 200) return [];
  return res.body.recipients.find((r) => r.recipientId === recipientId)?.timeline.map((e) => e.event) ?? [];
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Saves the history of a recipient's workflow for the replay test in `workflows/test`, as the
 * Temporal CLI exports it, when RECORD_NOTIFY_HISTORIES=1. A change to the workflow code that
 * breaks these histories fails there. Worker identities (host names) are left out.
 */
export async function recordHistory(world: NotificationWorld, userId: string, name: string): Promise<void> {
  if (process.env.RECORD_NOTIFY_HISTORIES !== '1') return;
  const address = `127.0.0.1:${world.test.stack.ports.temporal}`;
  const args = ['workflow', 'show', '-w', `notify-${userId}`, '--address', address, '-o', 'json'];
  const { stdout } = await promisify(execFile)(toolBin('temporal'), args, { maxBuffer: 64 * 1024 * 1024 });
  const history = JSON.stringify(
    JSON.parse(stdout),
    // The worker's identity and sticky queue name carry the host's name.
    (key, value: unknown) =>
      key === 'identity' || (typeof value === 'string' && value.startsWith('worker@')) ? 'recorded' : value,
    2,
  );
  const dir = join(__dirname, '..', '..', 'workflows', 'test', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `notify-${name}.json`), `${history}\n`);
}
