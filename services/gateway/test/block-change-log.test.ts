import t from 'tap';
import { BlockChangeLog } from '../src/realtime/block-change-log';

t.test('a change is seen by marks taken before it, for its users only', async (t) => {
  const log = new BlockChangeLog(60_000, () => 1_000);
  const before = log.mark();
  log.record(['u_alice', 'u_bob']);
  const after = log.mark();

  t.ok(log.changedSince('u_alice', before));
  t.ok(log.changedSince('u_bob', before));
  t.notOk(log.changedSince('u_carol', before), 'nothing changed for carol');
  t.notOk(log.changedSince('u_alice', after), 'nothing changed since the later mark');
});

t.test('old changes are forgotten, and a mark older than they are kept counts as changed', async (t) => {
  let now = 0;
  const log = new BlockChangeLog(1_000, () => now);
  const old = log.mark();
  log.record(['u_alice']);
  now = 2_000;
  log.record(['u_bob']);

  t.ok(log.changedSince('u_carol', old), 'the log no longer reaches back that far');
  // Marked before both changes, yet within the log's reach: only what the log still holds shows.
  const within = { seq: old.seq, at: 1_500 };
  t.notOk(log.changedSince('u_alice', within), "alice's change was dropped");
  t.ok(log.changedSince('u_bob', within));
});
