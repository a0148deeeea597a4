import { DependencyError, type ReadinessCheck } from '@parley/service-kit';
import { Client, Connection } from '@temporalio/client';

export interface TemporalHandle {
  client: Client;
  check: ReadinessCheck;
  close: () => Promise<void>;
}

/** Connects a Temporal client; start-up fails when the frontend cannot be reached. */
export async function connectTemporal(address: string, namespace: string): Promise<TemporalHandle> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    throw new DependencyError('temporal', `cannot reach Temporal at ${address}`, { cause: err });
  }
  const client = new Client({ connection, namespace });
  return {
    client,
    check: {
      name: 'temporal',
      check: async () => {
        await connection.workflowService.getSystemInfo({});
      },
    },
    close: () => connection.close(),
  };
}
