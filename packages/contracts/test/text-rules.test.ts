import t from 'tap';
import {
  hasNoDirectionOverride,
  hasNoLoneSurrogate,
  hasNoStrayControl,
  hasVisibleCharacter,
} from '../src/text-rules';

t.test('a text of blanks, zero-width and direction characters shows nothing', async (t) => {
  const invisible = [
    '',
    ' \t\n',
    '\u00A0\u3000',
    '\u200B\u200C\u200D',
    '\u2060\uFEFF\u00AD',
    '\u200E\u200F\u202A\u202E\u2066\u2069\u061C',
    '\u2800',
    '\u3164\u115F',
    '\uFE0F',
    '\u{E0041}',
  ];
  for (const text of invisible) t.notOk(hasVisibleCharacter(text), JSON.stringify(text));
});

t.test('one visible character among invisible ones is enough', async (t) => {
  for (const text of ['a', '\u200Ba\u200B', '👩\u200D💻', 'عربي', '.', '\u00A0-']) {
    t.ok(hasVisibleCharacter(text), JSON.stringify(text));
  }
});

t.test('a surrogate without its other half is found', async (t) => {
  for (const text of ['\uD800', '\uDC00', 'a\uD83Db', 'x\uDE00']) t.notOk(hasNoLoneSurrogate(text), text);
  for (const text of ['', 'plain', '🚀', 'a👍🏽b']) t.ok(hasNoLoneSurrogate(text), text);
});

t.test('format characters that render as nothing show nothing', async (t) => {
  const invisible = {
    'interlinear annotation anchor, separator, terminator': '\uFFF9\uFFFA\uFFFB',
    'Egyptian hieroglyph vertical joiner': '\u{13430}',
    'Syriac abbreviation mark': '\u070F',
    'Khitan small script filler': '\u{16FE4}',
  };
  for (const [what, text] of Object.entries(invisible)) t.notOk(hasVisibleCharacter(text), what);
});

t.test('combining marks with nothing to combine with show no character of their own', async (t) => {
  for (const text of ['\u0301', '\u0301'.repeat(100), '\u20DD', '\u0E31\u0E48']) {
    t.notOk(hasVisibleCharacter(text), JSON.stringify(text));
  }
  t.ok(hasVisibleCharacter('e\u0301'), 'a mark on a letter is fine');
});

t.test('line breaks and tabs are the only control characters a longer text may hold', async (t) => {
  for (const text of ['two\nlines', 'a\ttab', 'a\r\nb', 'plain']) {
    t.ok(hasNoStrayControl(text), JSON.stringify(text));
  }
  for (const text of ['x\u0000y', '\u001b[2Jx', 'bell\u0007', 'del\u007f', 'c1\u0085', 'c1\u009b']) {
    t.notOk(hasNoStrayControl(text), JSON.stringify(text));
  }
});

t.test(
  'embeddings and overrides, which reorder what follows, are found; marks and isolates are not',
  async (t) => {
    for (const text of ['\u202Eevil', 'a\u202Ab', 'a\u202Bb\u202C', 'a\u202Db']) {
      t.notOk(hasNoDirectionOverride(text), JSON.stringify(text));
    }
    for (const text of ['plain', 'a\u200Fb', 'x \u2067عربي\u2069 y', 'عربي']) {
      t.ok(hasNoDirectionOverride(text), JSON.stringify(text));
    }
  },
);
