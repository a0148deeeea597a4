import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import t from 'tap';
import { renderSnippet } from '../src/search/snippet';

const html = (snippet: string) => renderToStaticMarkup(createElement('span', null, renderSnippet(snippet)));

t.test('matches are marked; the rest is the escaped text, shown as text', async (t) => {
  t.equal(html('the <mark>zebra</mark> crossed'), '<span>the <mark>zebra</mark> crossed</span>');
  t.equal(
    html('a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;'),
    '<span>a &lt;b&gt; &amp; &quot;c&quot; &#x27;d&#x27;</span>',
  );
});

t.test('markup other than <mark> never becomes an element', async (t) => {
  for (const snippet of [
    '<img src=x onerror=alert(1)>',
    '&lt;img src=x onerror=alert(1)&gt;',
    '<mark><script>alert(1)</script></mark>',
    '<mark onclick="alert(1)">x</mark>',
    '&amp;lt;script&amp;gt;',
  ]) {
    const out = html(snippet);
    t.notMatch(out, /<(img|script)/i, `${snippet}: no element`);
    t.notMatch(out, /<mark [^>]/, `${snippet}: no attributes on marks`);
  }
  t.equal(html('&amp;lt;script&amp;gt;'), '<span>&amp;lt;script&amp;gt;</span>', 'unescaped once, not twice');
});
