import { describe, expect, it } from 'vitest';
import { pastedFileName } from '../../../web/src/admin/pages/curated';

describe('pastedFileName', () => {
  it('stores a pasted text as Markdown unless its name gives a type the server reads', () => {
    expect(pastedFileName('Holiday hours')).toBe('Holiday hours.md');
    expect(pastedFileName('  notes.txt ')).toBe('notes.txt');
    expect(pastedFileName('Page.HTML')).toBe('Page.HTML');
    expect(pastedFileName('report.pdf')).toBe('report.pdf.md'); // pasted text is never a PDF
  });
});
