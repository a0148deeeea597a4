import {
  type InviteAction,
  type InviteActor,
  type InviteState,
  type InviteWorkflowInput,
  INVITE_STATE_QUERY,
  TASK_QUEUE,
  inviteUpdateNames,
  workflowIds,
} from '@parley/workflows';
import type { inviteLifecycle } from '@parley/workflows/dist/workflows';
import {
  ApplicationFailure,
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { InviteError } from './invite-errors';

/** The result of asking a workflow, or `closed` when it has ended and the record is final. */
export type WorkflowAnswer = { state: InviteState } | { closed: true };

/** The invite workflows as the API reaches them through the Temporal client. */
export class InviteWorkflows {
  constructor(private readonly client: Client) {}

  async start(input: InviteWorkflowInput, summary: string): Promise<void> {
    await this.client.workflow.start<typeof inviteLifecycle>('inviteLifecycle', {
      workflowId: workflowIds.invite(input.inviteId),
      taskQueue: TASK_QUEUE,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // What an operator sees in the Temporal UI's list, without opening the history.
      memo: { conversationId: input.conversationId, channel: input.channel, status: 'pending' },
      staticSummary: summary,
    });
  }

  /** Runs an answer as a workflow update; a refusal becomes its problem code. */
  async act(inviteId: string, action: InviteAction, actor: InviteActor): Promise<WorkflowAnswer> {
    const handle = this.client.workflow.getHandle(workflowIds.invite(inviteId));
    try {
      const state = await handle.executeUpdate<InviteState, [InviteActor]>(inviteUpdateNames[action], {
        args: [actor],
      });
      return { state };
    } catch (err) {
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type
      ) {
        throw new InviteError(err.cause.type, { inviteId });
      }
      if (err instanceof WorkflowNotFoundError) return { closed: true };
      throw err;
    }
  }

  /** The live state of a running invite. */
  async state(inviteId: string): Promise<WorkflowAnswer> {
    const handle = this.client.workflow.getHandle(workflowIds.invite(inviteId));
    try {
      return { state: await handle.query<InviteState>(INVITE_STATE_QUERY) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { closed: true };
      throw err;
    }
  }
}
