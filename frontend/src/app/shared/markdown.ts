import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import cpp from 'highlight.js/lib/languages/cpp';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import typescript from 'highlight.js/lib/languages/typescript';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked } from 'marked';

// A few languages models write most; others render as plain (escaped) code.
hljs.registerLanguage('python', python);
hljs.registerLanguage('bash', bash);
hljs.registerLanguage('json', json);
hljs.registerLanguage('yaml', yaml);
hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('typescript', typescript);
hljs.registerLanguage('cpp', cpp);

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    code({ text, lang }) {
      const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const known = language !== '' && hljs.getLanguage(language) !== undefined;
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const cls = known ? ` class="hljs language-${escapeHtml(language)}"` : ' class="hljs"';
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
  },
});

// Links from a model open in a new tab and cannot reach back to the console.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/** `[image: alt]`, a link to `src` opening in a new tab (plain text when `src` is no web or data URL). */
function imageLink(src: string, alt: string): Node {
  const label = document.createTextNode(`[image${alt ? `: ${alt}` : ''}]`);
  if (!/^(https?:|data:image\/)/i.test(src) && !src.startsWith('/')) return label;
  const a = document.createElement('a');
  a.setAttribute('href', src);
  a.setAttribute('target', '_blank');
  a.setAttribute('rel', 'noopener noreferrer');
  a.appendChild(label);
  return a;
}

const safeDecode = (s: string) => {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
};

/**
 * Untrusted Markdown (model output, a project's README) as HTML safe to insert: GFM with highlighted
 * code blocks, then sanitised by DOMPurify — scripts, event handlers, `javascript:` URLs, iframes,
 * forms and styles are removed, whatever the text smuggles in as raw HTML.
 *
 * `images` maps an `<img src>` as written (a README's relative path) to the URL that serves it (the
 * fs asset endpoint); a relative image not in the map is dropped, since the console's origin would
 * resolve it against the wrong base. Absolute `http(s):`/`data:` sources are left alone.
 *
 * Without `images` (a model's answer) no image loads by itself: each becomes a link to its source,
 * `[image: alt]`, opened only if the user follows it. A model — or a prompt injected into what it
 * read — could otherwise make the browser request any URL of the console's origin with the user's
 * session (the content security policy keeps other origins out).
 */
export function renderMarkdown(text: string, images?: ReadonlyMap<string, string>): string {
  const html = marked.parse(text) as string;
  const config = { FORBID_TAGS: ['style', 'form', 'input', 'button'], FORBID_ATTR: ['style'] };
  const fragment = DOMPurify.sanitize(html, { ...config, RETURN_DOM_FRAGMENT: true });
  for (const img of Array.from(fragment.querySelectorAll('img'))) {
    const src = img.getAttribute('src') ?? '';
    if (!images) {
      img.replaceWith(imageLink(src, img.getAttribute('alt') ?? ''));
      continue;
    }
    const url = images.get(src) ?? images.get(safeDecode(src));
    if (url) img.setAttribute('src', url);
    else if (!/^(https?:|data:)/i.test(src)) img.remove();
  }
  const out = document.createElement('div');
  out.appendChild(fragment);
  return out.innerHTML;
}
