// A Vite plugin that drops the line breaks of the widget's stylesheet (web/src/widget/styles.ts, written one rule a
// line) from the bundle: every byte of widget.js counts against its size budget, and Terser keeps a template
// literal's text as it is.
import type { Plugin } from 'vite';

export function compactWidgetCss(): Plugin {
  return {
    name: 'parley-compact-widget-css',
    enforce: 'pre',
    transform(code, id) {
      if (!id.endsWith('/src/widget/styles.ts')) return null;
      return { code: code.replace(/`[^`]*`/, (css) => css.replace(/\n/g, '')), map: null };
    },
  };
}
