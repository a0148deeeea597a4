import t from 'tap';
import { fileName } from '../src/uploads/schemas';

t.test('takes file names as people write them', async (t) => {
  for (const name of ['notes.txt', 'Résumé 2026.pdf', 'фото.jpg', '写真.png', 'a b (1).tar.gz', '🙂.gif']) {
    t.ok(fileName.safeParse(name).success, name);
  }
});

t.test('refuses names that can pass for another or hide a path', async (t) => {
  const refused = {
    'a right-to-left override': 'invoice\u202Efdp.exe',
    'a left-to-right override': 'a\u202Db.txt',
    'an embedding': 'a\u202Bb.txt',
    'an isolate': 'a\u2067b\u2069.txt',
    'a direction mark': 'a\u200Fb.txt',
    'an Arabic letter mark': 'a\u061Cb.txt',
    'a control character': 'a\u0007b.txt',
    'a path': 'dir/a.txt',
    'a Windows path': 'dir\\a.txt',
    'a dot segment': '..',
    'surrounding space': ' a.txt',
  };
  for (const [what, name] of Object.entries(refused)) {
    t.notOk(fileName.safeParse(name).success, what);
  }
});
