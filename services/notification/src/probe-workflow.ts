import type { ProbeHooks } from '@parley/service-kit';
import { TASK_QUEUE, workflowIds } from '@parley/workflows';
import type { platformProbe } from '@parley/workflows/dist/workflows';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';

/**
 * On a probe, the notification service starts the probe workflow for the worker to complete.
 * The workflow id comes from the probe id, so a redelivered event starts nothing new.
 */
export function probeWorkflowHooks(client: Client): ProbeHooks {
  return {
    onProbe: async ({ probeId }) => {
      try {
        await client.workflow.start<typeof platformProbe>('platformProbe', {
          workflowId: workflowIds.platformProbe(probeId),
          taskQueue: TASK_QUEUE,
          args: [probeId],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
    },
    describe: async (probeId) => {
      const handle = client.workflow.getHandle(workflowIds.platformProbe(probeId));
      try {
        const { status } = await handle.describe();
        const result = status.name === 'COMPLETED' ? await handle.result() : undefined;
        return { workflow: { id: handle.workflowId, status: status.name, result } };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return { workflow: { id: handle.workflowId, status: 'NOT_STARTED' } };
        throw err;
      }
    },
  };
}
