import type { Express } from 'express';

/** A dependency the service needs before it can serve: throws (or rejects) when it is not usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CHECK_TIMEOUT_MS = 2_000;

export async function runChecks(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const entries = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, { ok: true }] as const;
      } catch (err) {
        return [name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: entries.every(([, result]) => result.ok), checks: Object.fromEntries(entries) };
}

/**
 * Liveness says the process serves HTTP; readiness says every dependency, the sidecar and its
 * subscriptions included, is usable. A draining service reports not ready so traffic moves away.
 */
export function mountHealth(
  app: Express,
  checks: () => readonly ReadinessCheck[],
  draining: () => boolean,
): void {
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining()) {
      res.status(503).json({ ready: false, checks: { shutdown: { ok: false, error: 'shutting down' } } });
      return;
    }
    const report = await runChecks(checks());
    res.status(report.ready ? 200 : 503).json(report);
  });
}
