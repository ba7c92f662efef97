// Bot answers as safe markdown. The markdown is turned into HTML (snarkdown), and the HTML is then cut down by
// DOMPurify to a short list of text-formatting tags. Whatever the answer holds, no script runs, no remote image or
// stylesheet loads, no form posts, and links open in a new tab without a referrer or a window handle.
import DOMPurify from 'dompurify';
import snarkdown from 'snarkdown';

const ALLOWED_TAGS = ['p', 'br', 'strong', 'b', 'em', 'i', 'code', 'pre', 'ul', 'ol', 'li', 'a', 'blockquote', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'del', 's', 'table', 'thead', 'tbody', 'tr', 'th', 'td'];
const TABLE_RULE = /^\|(\s*:?-+:?\s*\|)+$/;

function tableCells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => snarkdown(cell.trim()));
}

// A GitHub-style table (header row, rule, rows), which snarkdown does not know; cells are inline markdown.
function renderTable(block: string): string | null {
  const lines = block.split('\n').map((line) => line.trim());
  if (lines.length < 2 || !lines.every((line) => line.startsWith('|')) || !TABLE_RULE.test(lines[1])) return null;
  const row = (cells: string[], tag: string) => `<tr>${cells.map((cell) => `<${tag}>${cell}</${tag}>`).join('')}</tr>`;
  const body = lines.slice(2).map((line) => row(tableCells(line), 'td')).join('');
  return `<table><thead>${row(tableCells(lines[0]), 'th')}</thead><tbody>${body}</tbody></table>`;
}
const SAFE_LINK = /^(https?:|mailto:|tel:)/i;

let hooked = false;

// The bundle's own copy of DOMPurify (a host page's copy, if any, is another instance with its own hooks).
function sanitizer(): typeof DOMPurify {
  if (hooked) return DOMPurify;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href') ?? '';
    if (!SAFE_LINK.test(href.trim())) {
      node.removeAttribute('href');
      return;
    }
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  });
  return DOMPurify;
}

// The answer's markdown as sanitised DOM nodes, ready to append (never re-parsed from a string).
export function renderMarkdown(markdown: string): DocumentFragment {
  // Answers are text with markdown, never HTML: a "<" is shown as typed. Blank lines separate paragraphs;
  // snarkdown marks them with a break of its own, so split first.
  const html = markdown
    .replace(/</g, '&lt;')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const table = renderTable(block);
      if (table) return table;
      const rendered = snarkdown(block);
      return /^<(ul|ol|pre|h\d|blockquote|hr)/.test(rendered) ? rendered : `<p>${rendered}</p>`;
    })
    .join('');
  return sanitizer().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href'],
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}
