// A small element builder for the widget and its lazily loaded lead form (no framework: the widget must stay small).
type Props = Record<string, string | boolean | number | EventListener | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

// The event widget-lead-form.js sends to its own script tag, with the form's builder.
export const LEAD_FORM_LOADED = 'parley:lead-form';

// Adds a stylesheet to a shadow root: a constructed one where the browser has them (it also passes a host page's
// strict style-src policy), a <style> element elsewhere.
export function addStyles(shadow: ShadowRoot, css: string): void {
  if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
  } else {
    shadow.append(el('style', { text: css }));
  }
}
