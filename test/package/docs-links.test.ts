// The documents hold together: every relative link in the README, docs/ and
// the other READMEs points at a file that exists, every #anchor at a heading
// that the target file has (named as GitHub names it), and every document in
// docs/ is linked from the README, so none can only be found by browsing.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file)),
  join('bench', 'README.md'),
  join('test', 'network', 'README.md'),
  join('prebuilds', 'README.md'),
];

/** Markdown outside fenced code blocks and inline code, where links are links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_]/g, (c) => (c === '_' ? c : ''));
    const base = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every relative link target in a document, as written. */
function links(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('links in the documents', () => {
  it.each(DOCUMENTS)('%s: every relative link and #anchor resolves', (document) => {
    const text = readFileSync(join(ROOT, document), 'utf8');
    const broken: string[] = [];
    for (const target of links(text)) {
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? join(ROOT, document) : resolve(ROOT, dirname(document), decodeURIComponent(path));
      if (!existsSync(file)) {
        broken.push(`${target}: no ${relative(ROOT, file)}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        broken.push(`${target}: an anchor into something that is not a Markdown file`);
        continue;
      }
      if (!anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
    }
    expect(broken).toEqual([]);
  });

  it('every document in docs/ is linked from the README', () => {
    const linked = new Set(links(readFileSync(join(ROOT, 'README.md'), 'utf8')).map((target) => target.split('#')[0]));
    const unlinked = readdirSync(join(ROOT, 'docs'))
      .filter((file) => file.endsWith('.md'))
      .filter((file) => !linked.has(`docs/${file}`));
    expect(unlinked).toEqual([]);
  });

  it('the README starts small: at most 300 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(300);
  });

  it('the check itself: a missing file and a missing heading are caught, GitHub\'s anchors are matched', () => {
    expect([...anchors('# A `b(c, d)` e\n## Pick: `x`!\n## Pick: `x`!\n```\n# not a heading\n```\n')]).toEqual(['a-bc-d-e', 'pick-x', 'pick-x-1']);
    expect(links('[a](docs/x.md#y) [b](https://example.com) `[c](d)` [e](#f)')).toEqual(['docs/x.md#y', '#f']);
  });
});
