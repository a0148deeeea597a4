import { type ReactElement, type ReactNode, createElement, isValidElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import t from 'tap';
import { renderMarkdown, safeHref } from '../src/markdown/markdown';

const html = (source: string, options = {}) =>
  renderToStaticMarkup(createElement('div', null, renderMarkdown(source, options)));

/** Every element type in the rendered tree, depth first. */
function elementTypes(nodes: ReactNode): string[] {
  const types: string[] = [];
  const walk = (node: ReactNode) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isValidElement(node)) {
      const element = node as ReactElement<{ children?: ReactNode }>;
      types.push(String(element.type));
      walk(element.props.children);
    }
  };
  walk(nodes);
  return types;
}

t.test('renders the chat dialect as React elements', async (t) => {
  t.equal(
    html('hello **bold** and *it* and _also_ ~~gone~~'),
    '<div><p>hello <strong>bold</strong> and <em>it</em> and <em>also</em> <del>gone</del></p></div>',
  );
  t.equal(html('run `a < b` now'), '<div><p>run <code>a &lt; b</code> now</p></div>');
  t.equal(
    html('```\n<b>x</b>\n**no**\n```'),
    '<div><pre><code>&lt;b&gt;x&lt;/b&gt;\n**no**</code></pre></div>',
  );
  t.equal(html('- one\n- two'), '<div><ul><li>one</li><li>two</li></ul></div>');
  t.equal(html('1. one\n2. two'), '<div><ol><li>one</li><li>two</li></ol></div>');
  t.equal(html('> quoted\n\nnext'), '<div><blockquote>quoted</blockquote><p>next</p></div>');
  t.equal(html('line one\nline two'), '<div><p>line one<br/>line two</p></div>');
});

t.test('links keep only http(s) and mailto, never open the opener', async (t) => {
  t.equal(
    html('[site](https://example.com/a?b=1)'),
    '<div><p><a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">site</a></p></div>',
  );
  t.equal(
    html('see https://example.com/x.'),
    '<div><p>see <a href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.</p></div>',
  );
  t.match(html('[mail](mailto:a@example.com)'), 'href="mailto:a@example.com"');
  t.equal(safeHref('javascript:alert(1)'), null);
  t.equal(safeHref('JaVaScRiPt:alert(1)'), null);
  t.equal(safeHref('data:text/html,<script>alert(1)</script>'), null);
  t.equal(safeHref('vbscript:msgbox'), null);
  t.equal(safeHref('/relative'), null);
});

t.test('hostile input stays text', async (t) => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    '[x](javascript:alert(1))',
    '[x](JAVASCRIPT:alert(1))',
    '[x]( javascript:alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload=alert(1)>',
    '<iframe src="https://example.com"></iframe>',
    '**<style>body{display:none}</style>**',
    '`<img src=x onerror=alert(1)>`',
  ];
  for (const source of hostile) {
    const nodes = renderMarkdown(source);
    const types = elementTypes(nodes);
    for (const type of types) {
      t.ok(['p', 'strong', 'em', 'del', 'code', 'pre', 'br', 'a'].includes(type), `${source}: <${type}>`);
    }
    const out = html(source);
    t.notMatch(out, /<(img|script|svg|iframe|style)/i, `${source} renders no active element`);
    t.notMatch(out, /href="(?!https?:|mailto:)/i, `${source} links nowhere unsafe`);
    t.notMatch(out, /<[a-z][^>]*\son\w+=/i, `${source} carries no handler attribute`);
  }
  t.equal(html('<img src=x onerror=alert(1)>'), '<div><p>&lt;img src=x onerror=alert(1)&gt;</p></div>');
  t.equal(html('[x](javascript:alert(1))'), '<div><p>[x](javascript:alert(1))</p></div>');
});

t.test('image syntax becomes a link the user may follow, never an image', async (t) => {
  const out = html('![cat](https://example.com/cat.png)');
  t.notMatch(out, /<img/);
  t.match(
    out,
    '<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer">image: cat</a>',
  );
});

t.test('mentions of members are marked, others stay text', async (t) => {
  const options = { mentionable: new Set(['alice', 'bob']), me: 'bob' };
  t.equal(
    html('hi @Alice and @bob, not @carol or a@b.c', options),
    '<div><p>hi <span class="mention">@Alice</span> and <span class="mention mention-me">@bob</span>, not @carol or a@b.c</p></div>',
  );
});

t.test('deep nesting and unbalanced markers finish and stay text', async (t) => {
  // A regression here shows as the suite timing out.
  const out = html('**'.repeat(2000) + '_*~~'.repeat(1000) + '['.repeat(2000) + '`'.repeat(3000));
  t.notMatch(out, /<(img|script|a )/);
  t.match(html(`${'a'.repeat(3999)}*`), /a{3999}\*/);
});
