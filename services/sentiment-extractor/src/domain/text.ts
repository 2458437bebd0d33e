/**
 * Text as it arrives from feeds and scraped files → plain text: HTML tags and entities gone,
 * stray C1 control characters and the "Â " debris of double-encoded UTF-8 removed, whitespace
 * collapsed.
 */
export function cleanText(raw: string): string {
  return decodeEntities(raw.replace(/<[^>]*>/g, ' '))
    .replace(/Â(?=[\u00a0\s])/g, '')
    .replace(/[\u0080-\u009f]/g, '')
    .replace(/[\u00a0\s]+/g, ' ')
    .trim();
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
  mdash: '—',
  ndash: '–',
  hellip: '…',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return safeCodePoint(Number.parseInt(entity.slice(2), 16), whole);
    if (entity.startsWith('#')) return safeCodePoint(Number.parseInt(entity.slice(1), 10), whole);
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

/** Splits text into sentences at ., ! or ? followed by a space and a capital, or at newlines. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=[A-Z"“‘'$(])|\n+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}
