/** The names of a vocabulary's special tokens: BERT's, or MPNet's `<s>` … `</s>`. */
export interface SpecialTokens {
  cls: string;
  sep: string;
  pad: string;
  unk: string;
}

export const BERT_SPECIAL_TOKENS: SpecialTokens = { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]' };

/**
 * BERT's uncased WordPiece tokenizer (the one all-MiniLM-L6-v2 and all-mpnet-base-v2 were trained
 * with): clean the text, lower-case and strip accents, split on whitespace and punctuation, then
 * split each word greedily into the longest vocabulary pieces, continuation pieces prefixed with
 * `##`.
 */
export class WordPieceTokenizer {
  private readonly ids: Map<string, number>;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;

  constructor(
    vocab: readonly string[],
    private readonly special: SpecialTokens = BERT_SPECIAL_TOKENS,
  ) {
    this.ids = new Map(vocab.map((token, index) => [token, index]));
    this.clsId = this.required(special.cls);
    this.sepId = this.required(special.sep);
    this.padId = this.required(special.pad);
    this.unkId = this.required(special.unk);
  }

  /** Vocabulary file text (one token a line) → tokenizer. */
  static fromVocabText(text: string, special: SpecialTokens = BERT_SPECIAL_TOKENS): WordPieceTokenizer {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return new WordPieceTokenizer(
      lines.map((line) => line.replace(/\r$/, '')),
      special,
    );
  }

  /** Word pieces of a text, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    const pieces: string[] = [];
    for (const word of basicTokens(text)) pieces.push(...this.wordPieces(word));
    return pieces;
  }

  /** Ids with [CLS] … [SEP] (or the vocabulary's own), truncated to `maxLength` ids in all. */
  encode(text: string, maxLength: number): number[] {
    const ids = this.tokenize(text)
      .slice(0, maxLength - 2)
      .map((piece) => this.ids.get(piece) ?? this.unkId);
    return [this.clsId, ...ids, this.sepId];
  }

  private wordPieces(word: string): string[] {
    if (word.length > 100) return [this.special.unk];
    const pieces: string[] = [];
    let start = 0;
    const chars = [...word];
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const candidate = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.ids.has(candidate)) {
          found = candidate;
          break;
        }
        end -= 1;
      }
      if (found === undefined) return [this.special.unk];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  private required(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`vocabulary lacks ${token}`);
    return id;
  }
}

/** BERT's BasicTokenizer with do_lower_case: clean, split CJK, lower, strip accents, split punctuation. */
export function basicTokens(text: string): string[] {
  let cleaned = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0 || code === 0xfffd || isControl(char)) continue;
    cleaned += /\s/.test(char) ? ' ' : isCjk(code) ? ` ${char} ` : char;
  }
  const tokens: string[] = [];
  for (const raw of cleaned.trim().split(/\s+/)) {
    if (raw === '') continue;
    const word = raw
      .toLowerCase()
      .normalize('NFD')
      .replace(/\p{Mn}/gu, '');
    let current = '';
    for (const char of word) {
      if (isPunctuation(char)) {
        if (current !== '') tokens.push(current);
        tokens.push(char);
        current = '';
      } else {
        current += char;
      }
    }
    if (current !== '') tokens.push(current);
  }
  return tokens;
}

function isControl(char: string): boolean {
  if (char === '\t' || char === '\n' || char === '\r') return false;
  return /[\p{Cc}\p{Cf}]/u.test(char);
}

function isPunctuation(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  if (
    (code >= 33 && code <= 47) ||
    (code >= 58 && code <= 64) ||
    (code >= 91 && code <= 96) ||
    (code >= 123 && code <= 126)
  )
    return true;
  return /\p{P}/u.test(char);
}

function isCjk(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x20000 && code <= 0x2a6df) ||
    (code >= 0x2a700 && code <= 0x2b73f) ||
    (code >= 0x2b740 && code <= 0x2b81f) ||
    (code >= 0x2b820 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x2f800 && code <= 0x2fa1f)
  );
}
