import { DependencyError, type ReadinessCheck } from '@parley/service-kit';
import { Client, Connection } from '@temporalio/client';

/** A Temporal client for starting processing workflows; start-up fails without the frontend. */
export async function connectTemporal(
  address: string,
  namespace: string,
): Promise<{ client: Client; check: ReadinessCheck; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    throw new DependencyError('temporal', `cannot reach Temporal at ${address}`, { cause: err });
  }
  return {
    client: new Client({ connection, namespace }),
    check: {
      name: 'temporal',
      check: async () => {
        await connection.workflowService.getSystemInfo({});
      },
    },
    close: () => connection.close(),
  };
}
