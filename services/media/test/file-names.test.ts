import t from 'tap';
import { fileName } from '@parley/contracts';

t.test('takes file names as people write them', async (t) => {
  for (const name of ['notes.txt', 'Résumé 2026.pdf', 'фото.jpg', '写真.png', 'a b (1).tar.gz', '🙂.gif']) {
    t.ok(fileName.safeParse(name).success, name);
  }
});

t.test('takes the joiners, selectors and tags that emoji and scripts are written with', async (t) => {
  const taken = {
    'a family joined by zero-width joiners': '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}.png',
    'a keycap with a variation selector': '1\uFE0F\u20E3 list.txt',
    'a subdivision flag of tag characters':
      '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}.jpg',
    'a Persian word with a zero-width non-joiner': 'می\u200Cخواهم.txt',
  };
  for (const [what, name] of Object.entries(taken)) {
    t.ok(fileName.safeParse(name).success, what);
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
    'a line separator': 'a\u2028b.txt',
    'a paragraph separator': 'a\u2029b.txt',
    'a zero-width space': 'pay\u200Bpal.pdf',
    'a word joiner': 'a\u2060b.txt',
    'a byte order mark': 'a\uFEFFb.txt',
    'a soft hyphen': 'in\u00ADvoice.pdf',
    'a path': 'dir/a.txt',
    'a Windows path': 'dir\\a.txt',
    'a dot segment': '..',
    'surrounding space': ' a.txt',
  };
  for (const [what, name] of Object.entries(refused)) {
    t.notOk(fileName.safeParse(name).success, what);
  }
});
