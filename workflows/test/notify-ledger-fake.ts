import { Sidecar } from '@parley/service-kit';
import { NotifyServiceClient, type SendRecord } from '../src/activities/notify-service';

/**
 * The notification service's send ledger as the activities see it through the sidecar: a POST
 * records an intent and answers what was there, a PUT records the outcome. `unreachable(n)` makes
 * the next n outcome records fail as a sidecar that is down does (the connection is refused).
 */
export function fakeNotifyService() {
  const sends = new Map<string, SendRecord>();
  const outcomes: { key: string; outcome: string; providerId: string | null }[] = [];
  let failOutcomes = 0;
  let failedOutcomes = 0;
  // The real client and the real `invokeOk` over a sidecar whose HTTP calls are answered here.
  const sidecar = Object.assign(Object.create(Sidecar.prototype) as Sidecar, {
    invoke: async (_app: string, method: string, init: { method?: string; body?: unknown }) => {
      const key = decodeURIComponent(method.replace('internal/v1/sends/', ''));
      const body = init.body as { outcome?: 'sent' | 'failed'; providerId?: string | null; reason?: string };
      if (init.method === 'POST') {
        const before = sends.get(key);
        const now = new Date().toISOString();
        if (!before) sends.set(key, { state: 'intent', intentAt: now, providerId: null, reason: null });
        return {
          status: 200,
          contentType: 'application/json',
          body: before ?? { state: 'new', intentAt: now, providerId: null, reason: null },
        };
      }
      if (init.method === 'PUT') {
        if (failOutcomes > 0) {
          failOutcomes -= 1;
          failedOutcomes += 1;
          throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3500') });
        }
        const state = body.outcome ?? 'failed';
        const intentAt = sends.get(key)?.intentAt ?? new Date().toISOString();
        sends.set(key, { state, intentAt, providerId: body.providerId ?? null, reason: body.reason ?? null });
        outcomes.push({ key, outcome: state, providerId: body.providerId ?? null });
        return { status: 204, contentType: '', body: undefined };
      }
      return { status: 404, contentType: 'application/json', body: { code: 'NOT_FOUND' } };
    },
  });
  return {
    client: new NotifyServiceClient(sidecar),
    sends,
    outcomes,
    unreachable(times: number) {
      failOutcomes = times;
    },
    get failedOutcomes() {
      return failedOutcomes;
    },
  };
}
