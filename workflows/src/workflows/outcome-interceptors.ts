import {
  ContinueAsNew,
  type Sinks,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  isCancellation,
  proxySinks,
  workflowInfo,
} from '@temporalio/workflow';

export type WorkflowOutcome = 'completed' | 'failed' | 'cancelled' | 'continued_as_new';

/** How workflow code reports to the worker's metrics, through a sink (not replayed). */
export interface MetricsSinks extends Sinks {
  metrics: {
    workflowFinished(workflowType: string, outcome: WorkflowOutcome): void;
  };
}

const { metrics } = proxySinks<MetricsSinks>();

/**
 * Loaded into every workflow (the worker's `workflowModules`): reports how each execution ended.
 * It only observes; the result or error passes through unchanged.
 */
class OutcomeInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(
    input: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<WorkflowInboundCallsInterceptor['execute']>>[1],
  ): Promise<unknown> {
    const type = workflowInfo().workflowType;
    try {
      const result = await next(input);
      metrics.workflowFinished(type, 'completed');
      return result;
    } catch (err) {
      let outcome: WorkflowOutcome = 'failed';
      if (err instanceof ContinueAsNew) outcome = 'continued_as_new';
      else if (isCancellation(err)) outcome = 'cancelled';
      metrics.workflowFinished(type, outcome);
      throw err;
    }
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new OutcomeInterceptor()] });
