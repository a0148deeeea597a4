import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import t from 'tap';

// Histories of real runs of the per-recipient notification workflow, recorded by the notification
// integration tests (RECORD_NOTIFY_HISTORIES=1). Replaying them with the current code fails on any
// change that would break recipients' workflows already running: a new or reordered activity,
// timer or condition.
const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((name) => /^notify-.*\.json$/.test(name));

type History = proto.temporal.api.history.v1.History;

// The CLI's proto JSON is read with the protobufjs copy @temporalio/proto was built with; another
// installed copy would refuse its types.
const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const { fromJson } = protoRequire('protobufjs/ext/protojson') as {
  fromJson: (type: unknown, json: unknown, options: object) => History;
};
const root = patchProtobufRoot(proto) as unknown as { lookupType: (name: string) => unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

t.test('recorded notification histories replay with the current workflow code', async (t) => {
  t.ok(files.length >= 2, `there are histories to replay (${files.join(', ')})`);
  const histories = files.map((name) => ({
    workflowId: name.replace(/\.json$/, ''),
    history: fromJson(historyType, JSON.parse(readFileSync(join(dir, name), 'utf8')), {
      ignoreUnknownFields: true,
    }),
  }));
  const results = Worker.runReplayHistories(
    { workflowsPath: require.resolve('../src/workflows') },
    histories,
  );
  let replayed = 0;
  for await (const result of results) {
    t.equal(result.error, undefined, `${result.workflowId} replays deterministically`);
    replayed += 1;
  }
  t.equal(replayed, files.length, 'every history was replayed');
});
