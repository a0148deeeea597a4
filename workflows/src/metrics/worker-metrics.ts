import { activityOutcomes, workflowOutcomes } from '@parley/service-kit';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { MetricsSinks } from '../workflows/outcome-interceptors';

/**
 * What the worker adds to count outcomes in its Prometheus metrics (served at `/metrics` by
 * the service kit): workflow endings reported through a sink, activity attempts observed by an
 * interceptor.
 */
export function workerMetrics(): {
  sinks: InjectedSinks<MetricsSinks>;
  interceptors: { workflowModules: string[]; activity: ActivityInterceptorsFactory[] };
} {
  return {
    sinks: {
      metrics: {
        workflowFinished: {
          fn: (_info, workflowType, outcome) => workflowOutcomes.inc({ workflow: workflowType, outcome }),
          // Counted once, when the execution really ends, not again when a worker replays it.
          callDuringReplay: false,
        },
      },
    },
    interceptors: {
      workflowModules: [require.resolve('../workflows/outcome-interceptors')],
      activity: [
        (ctx) => ({
          inbound: {
            async execute(input, next) {
              const activity = ctx.info.activityType;
              try {
                const result = await next(input);
                activityOutcomes.inc({ activity, outcome: 'completed' });
                return result;
              } catch (err) {
                activityOutcomes.inc({ activity, outcome: 'failed' });
                throw err;
              }
            },
          },
        }),
      ],
    },
  };
}
