import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import t from 'tap';

// Invites in flight when a new worker version starts continue from their recorded histories. Each
// history here was recorded from a real run (RECORD_INVITE_HISTORIES=1 with the invites
// integration tests); replaying it against today's workflow code fails on any change that would
// make those invites diverge (a new activity before an old one, a changed timer, ...).
const dir = join(__dirname, 'histories');

/**
 * Reads a history as the Temporal CLI exports it (proto JSON). The protobufjs JSON reader must be
 * the copy @temporalio/proto's types were built with: with several copies installed, the one
 * @temporalio/common's `historyFromJSON` reaches can be another, which refuses the types.
 */
const { fromJson } = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
  fromJson: (type: unknown, json: unknown, options: object) => proto.temporal.api.history.v1.History;
};
const historyType = (
  patchProtobufRoot(proto) as unknown as { lookupType: (name: string) => unknown }
).lookupType('temporal.api.history.v1.History');
const readHistory = (file: string) =>
  fromJson(historyType, JSON.parse(readFileSync(file, 'utf8')), { ignoreUnknownFields: true });
const files = readdirSync(dir).filter((name) => /^invite-.*\.json$/.test(name));

t.test('recorded invite histories replay against the current workflow code', async (t) => {
  t.ok(files.length >= 5, `the recorded histories are there (${files.join(', ')})`);
  const histories = files.map((name) => ({
    workflowId: name.replace(/\.json$/, ''),
    history: readHistory(join(dir, name)),
  }));
  const results = Worker.runReplayHistories(
    { workflowsPath: require.resolve('../src/workflows') },
    histories,
  );
  let replayed = 0;
  for await (const result of results) {
    t.equal(result.error, undefined, `${result.workflowId} replays without a determinism error`);
    replayed += 1;
  }
  t.equal(replayed, files.length);
});
