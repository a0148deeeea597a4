import t from 'tap';
import { ABSENCES_KEPT, tidyAbsences, unreadOutside } from '../src/conversations/absences';

t.test('tidy absences are sorted, joined where they meet, and lie above the cursor', async (t) => {
  t.same(
    tidyAbsences(
      [
        { from: 20, to: 25 },
        { from: 2, to: 4 },
        { from: 10, to: 14 },
        { from: 12, to: 16 },
        { from: 16, to: 18 },
        { from: 9, to: 9 },
      ],
      3,
    ),
    [
      { from: 2, to: 4 },
      { from: 10, to: 18 },
      { from: 20, to: 25 },
    ],
  );
  t.same(tidyAbsences([{ from: 2, to: 4 }], 4), [], 'one ending at the cursor no longer matters');
});

t.test('past the bound the oldest absences merge into one', async (t) => {
  const many = Array.from({ length: ABSENCES_KEPT + 3 }, (_, i) => ({ from: 10 * i + 5, to: 10 * i + 8 }));
  const tidy = tidyAbsences(many, 0);
  t.equal(tidy.length, ABSENCES_KEPT);
  t.same(tidy[0], { from: 5, to: 38 });
  t.same(tidy.slice(1), many.slice(4));
});

t.test('unread leaves out what lies inside absences and what was deleted', async (t) => {
  const conversation = { lastSeq: 20, deletedSeqs: [12, 19] };
  const absences = [
    { from: 5, to: 10 },
    { from: 15, to: 18 },
  ];
  // 7 to 20 less 7..10 and 16..18 (away) and 12 and 19 (deleted): 11, 13, 14, 15 and 20.
  t.equal(unreadOutside(6, absences, conversation), 5);
  t.equal(unreadOutside(16, absences, conversation), 1, 'a cursor inside an absence');
  t.equal(unreadOutside(0, [], conversation), 18);
});
