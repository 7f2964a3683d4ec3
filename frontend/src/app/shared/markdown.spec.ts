import { renderMarkdown } from './markdown';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders Markdown: emphasis, lists, inline code, tables', () => {
    const el = dom(renderMarkdown('**bold** and `x`\n\n- a\n- b\n\n| h |\n|---|\n| c |'));
    expect(el.querySelector('strong')?.textContent).toBe('bold');
    expect(el.querySelector('code')?.textContent).toBe('x');
    expect(el.querySelectorAll('li').length).toBe(2);
    expect(el.querySelector('td')?.textContent).toBe('c');
  });

  it('removes <script>, event handlers and javascript: URLs smuggled in as raw HTML', () => {
    const html = renderMarkdown(
      'hi <script>alert(1)</script><img src=x onerror="alert(2)"> ' +
        '<a href="javascript:alert(3)">x</a> <iframe src="https://evil"></iframe>' +
        '<svg><g onload="alert(4)"></g></svg> <p style="position:fixed">s</p>',
    );
    const el = dom(html);
    expect(el.querySelector('script, iframe')).toBeNull();
    expect(html).not.toMatch(/onerror|onload|javascript:|alert\(1\)|position:fixed/);
    // The harmless part stays: the image as its label (a model's images load nothing by themselves).
    expect(el.querySelector('img')).toBeNull();
    expect(el.textContent).toContain('[image]');
  });

  it('highlights a fenced block of a registered language and escapes an unknown one', () => {
    const py = dom(renderMarkdown('```python\ndef f():\n    return 1\n```'));
    expect(py.querySelector('code.language-python .hljs-keyword')?.textContent).toBe('def');
    const other = dom(renderMarkdown('```nosuchlang\n<b onclick="x()">hi</b>\n```'));
    expect(other.querySelector('b')).toBeNull();
    expect(other.querySelector('code')?.textContent).toBe('<b onclick="x()">hi</b>');
  });

  it('opens links in a new tab without an opener', () => {
    const a = dom(renderMarkdown('[docs](https://example.org)')).querySelector('a')!;
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it("loads no image of a model's answer by itself: each is a link to follow, named by its alt text", () => {
    // Before: <img src="/api/…"> fetched at once, with the user's session.
    const el = dom(
      renderMarkdown('see ![loss curve](/api/runs/r1/metrics?path=loss) and ![](https://x.org/a.png)'),
    );
    expect(el.querySelectorAll('img')).toHaveLength(0);
    const links = Array.from(el.querySelectorAll('a')).map((a) => [
      a.textContent,
      a.getAttribute('href'),
      a.getAttribute('rel'),
    ]);
    expect(links).toEqual([
      ['[image: loss curve]', '/api/runs/r1/metrics?path=loss', 'noopener noreferrer'],
      ['[image]', 'https://x.org/a.png', 'noopener noreferrer'],
    ]);
  });

  it('serves a README image through the URL it maps to and drops an unmapped relative one', () => {
    const images = new Map([['img/plot.png', '/api/fs/asset?base=%2Fp&asset=img%2Fplot.png']]);
    const el = dom(
      renderMarkdown('![plot](img/plot.png) ![gone](other.png) ![web](https://x.org/a.png)', images),
    );
    const srcs = Array.from(el.querySelectorAll('img')).map((i) => i.getAttribute('src'));
    expect(srcs).toEqual(['/api/fs/asset?base=%2Fp&asset=img%2Fplot.png', 'https://x.org/a.png']);
  });
});
