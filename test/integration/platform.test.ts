import { randomUUID } from 'node:crypto';
import { run, toolBin } from '@parley/devstack';
import t from 'tap';
import { eventually, startTestStack } from '../support/stack';

// The whole platform with real processes only: Redis, FerretDB, the Temporal dev server, Azurite,
// the mail catcher, seven services each beside its own daprd, and the worker beside its own.
t.test('the platform is wired through real sidecars and a real Temporal server', async (t) => {
  const env = await startTestStack(t, {}, 2);
  const ports = () => env.stack.ports;
  const gateway = () => `http://127.0.0.1:${ports().apps.gateway.app}`;
  const ops = () => ({ authorization: `Bearer ${env.stack.secrets.opsToken}` });
  const sidecar = (app: 'chat' | 'analytics' | 'auth') => ({
    url: `http://127.0.0.1:${ports().apps[app].daprHttp}`,
    headers: {
      'dapr-api-token': env.stack.secrets.apps[app].daprApiToken,
      'content-type': 'application/json',
    },
  });

  const probeReport = async (probeId: string) => {
    const res = await fetch(`${gateway()}/api/v1/ops/probes/${probeId}`, { headers: ops() });
    return (await res.json()) as { complete: boolean; services: Record<string, Record<string, unknown>> };
  };

  let probeId = '';

  await t.test('every service reports ready when asked through service invocation', async (t) => {
    const res = await fetch(`${gateway()}/api/v1/ops/status`, { headers: ops() });
    const body = (await res.json()) as { ready: boolean; services: Record<string, { ready: boolean }> };
    t.equal(res.status, 200);
    t.equal(body.ready, true);
    t.same(Object.keys(body.services).sort(), [
      'analytics',
      'auth',
      'chat',
      'media',
      'notification',
      'search',
    ]);
  });

  await t.test('a second gateway replica serves the same API through its own sidecar', async (t) => {
    const replica = `http://127.0.0.1:${ports().extraGateways[0]?.app}`;
    const res = await fetch(`${replica}/api/v1/ops/status`, { headers: ops() });
    t.equal(res.status, 200);
    t.equal(((await res.json()) as { ready: boolean }).ready, true);
  });

  await t.test('a probe crosses pub/sub, state, service invocation and a workflow', async (t) => {
    const res = await fetch(`${gateway()}/api/v1/ops/probes`, { method: 'POST', headers: ops() });
    t.equal(res.status, 202);
    probeId = ((await res.json()) as { probeId: string }).probeId;
    t.equal(res.headers.get('location'), `/api/v1/ops/probes/${probeId}`);
    const report = await eventually(async () => {
      const r = await probeReport(probeId);
      return r.complete ? r : undefined;
    });
    for (const service of ['auth', 'chat', 'notification', 'media', 'search', 'analytics']) {
      t.equal(report.services[service]?.received, true, `${service} received the event and stored it`);
    }
    t.match(report.services.notification?.workflow, {
      status: 'COMPLETED',
      result: { probeId, worker: /^worker@/ },
    });
  });

  await t.test('the workflow the worker completed is visible through the Temporal CLI', async (t) => {
    const { code, output } = await run(toolBin('temporal'), [
      'workflow',
      'describe',
      '--workflow-id',
      `platform-probe-${probeId}`,
      '--address',
      `127.0.0.1:${ports().temporal}`,
      '--output',
      'json',
    ]);
    t.equal(code, 0, 'the CLI finds the workflow', { output });
    t.match(output, /WORKFLOW_EXECUTION_STATUS_COMPLETED/);
  });

  await t.test(
    'an event published through one sidecar reaches another service through its own',
    async (t) => {
      const id = randomUUID();
      const chat = sidecar('chat');
      const published = await fetch(`${chat.url}/v1.0/publish/pubsub/platform.probe`, {
        method: 'POST',
        headers: chat.headers,
        body: JSON.stringify({ probeId: id, requestedAt: new Date().toISOString() }),
      });
      t.equal(published.status, 204);
      // Read back by invoking the analytics service across the chat and analytics sidecars.
      const record = await eventually(async () => {
        const res = await fetch(`${chat.url}/v1.0/invoke/analytics/method/internal/v1/probes/${id}`, {
          headers: chat.headers,
        });
        return res.status === 200 ? ((await res.json()) as { service: string }) : undefined;
      });
      t.equal(record.service, 'analytics');
    },
  );

  await t.test('a state save through a sidecar reads back', async (t) => {
    const auth = sidecar('auth');
    const key = `test-${randomUUID()}`;
    const saved = await fetch(`${auth.url}/v1.0/state/statestore`, {
      method: 'POST',
      headers: auth.headers,
      body: JSON.stringify([{ key, value: { n: 42 } }]),
    });
    t.equal(saved.status, 204);
    const read = await fetch(`${auth.url}/v1.0/state/statestore/${key}`, { headers: auth.headers });
    t.same(await read.json(), { n: 42 });
  });

  await t.test('calls that skip a token are refused', async (t) => {
    const direct = await fetch(`http://127.0.0.1:${ports().apps.chat.app}/internal/v1/probes/${probeId}`);
    t.equal(direct.status, 401, 'a service called without the app token');
    t.equal(((await direct.json()) as { code: string }).code, 'APP_TOKEN_REQUIRED');
    const forged = await fetch(`http://127.0.0.1:${ports().apps.chat.app}/internal/v1/probes/${probeId}`, {
      headers: { 'dapr-api-token': env.stack.secrets.apps.gateway.appApiToken },
    });
    t.equal(forged.status, 401, 'a service called with another app token');
    const noDaprToken = await fetch(`${sidecar('chat').url}/v1.0/metadata`);
    t.equal(noDaprToken.status, 401, 'a sidecar called without the Dapr API token');
    const otherDaprToken = await fetch(`${sidecar('chat').url}/v1.0/metadata`, {
      headers: { 'dapr-api-token': env.stack.secrets.apps.auth.daprApiToken },
    });
    t.equal(otherDaprToken.status, 401, "a sidecar called with another app's Dapr API token");
    const noOpsToken = await fetch(`${gateway()}/api/v1/ops/status`);
    t.equal(noOpsToken.status, 401, 'operator endpoints without the operator token');
    const secrets = await fetch(`${sidecar('chat').url}/v1.0/secrets/envsecrets/APP_API_TOKEN`, {
      headers: sidecar('chat').headers,
    });
    t.not(secrets.status, 200, "an app cannot read its sidecar's environment through the secrets API");
  });

  await t.test('the gateway routes REST calls to the owning service through the sidecars', async (t) => {
    // A path chat has no route for: its answer, passed on as it was made.
    const res = await fetch(`${gateway()}/api/v1/conversations/none/nowhere/at-all?x=1`);
    t.equal(res.status, 404);
    t.match(res.headers.get('content-type'), /problem\+json/);
    const body = await res.text();
    t.equal(Number(res.headers.get('content-length')), Buffer.byteLength(body), 'its length as sent');
    // The request as the client made it, not as the service saw it behind the gateway.
    t.match(JSON.parse(body), {
      code: 'ROUTE_NOT_FOUND',
      instance: '/api/v1/conversations/none/nowhere/at-all',
    });
    t.notMatch(JSON.parse(body).detail, /\//, 'the detail names no path, least of all the internal one');
  });

  await t.test('bad input to an operator endpoint gets a problem, not a crash', async (t) => {
    const res = await fetch(`${gateway()}/api/v1/ops/probes/not-a-uuid`, { headers: ops() });
    t.equal(res.status, 400);
    t.equal(((await res.json()) as { code: string }).code, 'VALIDATION_FAILED');
  });

  await t.test('an event published while its subscriber is down is delivered when it returns', async (t) => {
    await env.stack.kill('search');
    await env.stack.kill('search-dapr');
    const res = await fetch(`${gateway()}/api/v1/ops/probes`, { method: 'POST', headers: ops() });
    const { probeId: missed } = (await res.json()) as { probeId: string };
    await env.stack.restart('search', 'search-dapr');
    const report = await eventually(async () => {
      const r = await probeReport(missed);
      return r.complete ? r : undefined;
    });
    t.equal(report.services.search?.received, true);
  });

  await t.test('an event every subscriber drops reaches the dead-letter store once', async (t) => {
    const chat = sidecar('chat');
    const eventId = `malformed-${randomUUID()}`;
    const published = await fetch(
      `${chat.url}/v1.0/publish/pubsub/platform.probe?metadata.cloudevent.id=${eventId}`,
      { method: 'POST', headers: chat.headers, body: JSON.stringify({ probeId: { $ne: null } }) },
    );
    t.equal(published.status, 204);
    const letters = await eventually(async () => {
      const res = await fetch(`${gateway()}/api/v1/ops/dead-letters`, { headers: ops() });
      const body = (await res.json()) as { deadLetters: { eventId: string; payload: string }[] };
      const mine = body.deadLetters.filter((letter) => letter.eventId === eventId);
      return mine.length > 0 ? mine : undefined;
    });
    t.equal(letters.length, 1, 'six subscribers dropped it; it is stored once');
    t.same(JSON.parse(letters[0]?.payload ?? ''), { probeId: { $ne: null } }, 'keeps the payload as text');
  });

  await t.test('a restart of the whole platform keeps its data', async (t) => {
    await env.restart();
    const report = await probeReport(probeId);
    t.equal(report.complete, true, 'the probe stored before the restart is still reported complete');
  });
});
