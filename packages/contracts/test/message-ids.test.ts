import t from 'tap';
import { messageIdFor } from '../src/message-ids';

t.test('a message id is derived from its conversation and sequence number', async (t) => {
  // Pinned: chat stores messages under these ids and analytics finds them by recomputing them, so
  // a change of format would orphan every message already stored.
  t.equal(messageIdFor('c_0123456789abcdef01234567', 1), 'm_0123456789abcdef01234567_1');
  t.equal(messageIdFor('c_0123456789abcdef01234567', 123456), 'm_0123456789abcdef01234567_123456');
  t.not(messageIdFor('c_0123456789abcdef01234567', 12), messageIdFor('c_0123456789abcdef01234567', 1));
});
