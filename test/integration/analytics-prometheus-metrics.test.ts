import t from 'tap';
import { connectClient } from '../support/sockets';
import { eventually, startTestStack } from '../support/stack';
import { registerAndLogin } from '../support/users';

/** The value of the first series of `name` carrying all `labels`, in any order; undefined if none. */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => pairs.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return undefined;
}

// What an operator's Prometheus scrapes: each back-end service and the worker on loopback, the
// gateway only with the operator token, and each sidecar on its own metrics port.
t.test('every service, the worker and the sidecars expose Prometheus metrics', async (t) => {
  const env = await startTestStack(t);
  const ports = env.stack.ports;
  const gateway = `http://127.0.0.1:${ports.apps.gateway.app}`;
  const ops = { authorization: `Bearer ${env.stack.secrets.opsToken}` };
  const scrape = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    t.equal(res.status, 200, `scraped ${url}`);
    return res.text();
  };

  const probe = await fetch(`${gateway}/api/v1/ops/probes`, { method: 'POST', headers: ops });
  t.equal(probe.status, 202);
  const { probeId } = (await probe.json()) as { probeId: string };
  await eventually(async () => {
    const res = await fetch(`${gateway}/api/v1/ops/probes/${probeId}`, { headers: ops });
    return ((await res.json()) as { complete: boolean }).complete ? true : undefined;
  });

  await t.test('back-end services answer scrapes on loopback with latency and pub/sub lag', async (t) => {
    for (const service of ['auth', 'chat', 'notification', 'media', 'search', 'analytics'] as const) {
      const text = await scrape(`http://127.0.0.1:${ports.apps[service].app}/metrics`);
      t.ok(
        series(text, 'pubsub_delivery_lag_seconds_count', { service, topic: 'platform.probe' }),
        `${service}: the probe event's lag`,
      );
      t.ok(
        series(text, 'pubsub_deliveries_total', { service, outcome: 'SUCCESS' }),
        `${service}: deliveries`,
      );
      t.ok(
        series(text, 'http_request_duration_seconds_count', { route: '/internal/v1/probes/:probeId' }),
        `${service}: request latency by route template`,
      );
    }
  });

  await t.test('the gateway serves its metrics only with the operator token', async (t) => {
    t.equal((await fetch(`${gateway}/metrics`)).status, 404, 'not on the public path');
    t.equal((await fetch(`${gateway}/api/v1/ops/metrics`)).status, 401, 'not without the token');
    const text = await scrape(`${gateway}/api/v1/ops/metrics`, ops);
    const labels = { service: 'gateway', route: '/api/v1/ops/probes', status: '202' };
    t.equal(series(text, 'http_request_duration_seconds_count', labels), 1);
    t.type(series(text, 'socket_connections', { service: 'gateway' }), 'number');
    const proxied = await fetch(`${gateway}/api/v1/search/messages?q=x`);
    t.equal(proxied.status, 401, 'a proxied call');
    const after = await scrape(`${gateway}/api/v1/ops/metrics`, ops);
    const search = { service: 'gateway', route: '/api/v1/search', status: '401' };
    t.equal(series(after, 'http_request_duration_seconds_count', search), 1, 'proxied calls by resource');
  });

  await t.test('the gateway counts real-time connections and events', async (t) => {
    const user = await registerAndLogin(gateway);
    const client = await connectClient(t, gateway, { token: user.accessToken });
    const ack = await client.request('presence:set', { status: 'away' });
    t.equal(ack.ok, true);
    const open = await scrape(`${gateway}/api/v1/ops/metrics`, ops);
    t.equal(series(open, 'socket_connections', { service: 'gateway' }), 1, 'one open connection');
    t.equal(series(open, 'socket_events_total', { event: 'presence:set', direction: 'in' }), 1, 'events in');
    client.close();
    await eventually(async () => {
      const text = await scrape(`${gateway}/api/v1/ops/metrics`, ops);
      return series(text, 'socket_connections', { service: 'gateway' }) === 0 ? true : undefined;
    });
    t.pass('the connection is no longer counted once closed');
  });

  await t.test('the worker counts workflow and activity outcomes', async (t) => {
    const text = await scrape(`http://127.0.0.1:${ports.apps.worker.app}/metrics`);
    const workflow = { workflow: 'platformProbe', outcome: 'completed' };
    t.equal(series(text, 'temporal_workflow_outcomes_total', workflow), 1);
    const activity = { activity: 'acknowledgeProbe', outcome: 'completed' };
    t.equal(series(text, 'temporal_activity_outcomes_total', activity), 1);
  });

  await t.test("each sidecar's own metrics are on its metrics port", async (t) => {
    const text = await scrape(`http://127.0.0.1:${ports.apps.search.daprMetrics}/metrics`);
    t.match(text, /dapr_/);
  });
});
