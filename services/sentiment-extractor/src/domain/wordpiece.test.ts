import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicTokens, WordPieceTokenizer } from './wordpiece.js';

const vocab = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'bitcoin',
  'hits',
  'record',
  'high',
  '!',
  ',',
  'un',
  '##aff',
  '##able',
  'cafe',
  '$',
  '100',
  '##k',
];
const tokenizer = new WordPieceTokenizer(vocab);

describe('WordPiece tokenizer (BERT uncased)', () => {
  it('lower-cases, strips accents and splits punctuation', () => {
    assert.deepEqual(basicTokens('Bitcoin HITS Café, $100K!'), ['bitcoin', 'hits', 'cafe', ',', '$', '100k', '!']);
  });

  it('splits words into the longest vocabulary pieces', () => {
    assert.deepEqual(tokenizer.tokenize('unaffable'), ['un', '##aff', '##able']);
    assert.deepEqual(tokenizer.tokenize('$100K'), ['$', '100', '##k']);
  });

  it('maps a word it cannot split to [UNK]', () => {
    assert.deepEqual(tokenizer.tokenize('zzz bitcoin'), ['[UNK]', 'bitcoin']);
  });

  it('wraps ids in [CLS] … [SEP] and truncates to the limit', () => {
    assert.deepEqual(tokenizer.encode('Bitcoin hits record high!', 64), [2, 4, 5, 6, 7, 8, 3]);
    assert.deepEqual(tokenizer.encode('Bitcoin hits record high!', 4), [2, 4, 5, 3], 'truncated, [SEP] kept');
  });

  it("uses the vocabulary's own special tokens (MPNet: <s> … </s>, [UNK])", () => {
    const mpnet = WordPieceTokenizer.fromVocabText(
      ['<s>', '<pad>', '</s>', '[UNK]', 'bitcoin', 'hits', ''].join('\n'),
      {
        cls: '<s>',
        sep: '</s>',
        pad: '<pad>',
        unk: '[UNK]',
      },
    );
    assert.deepEqual(mpnet.encode('Bitcoin hits zzz', 64), [0, 4, 5, 3, 2]);
    assert.equal(mpnet.padId, 1);
    assert.throws(
      () => WordPieceTokenizer.fromVocabText('<s>\n</s>\n'),
      /lacks \[CLS\]/,
      'BERT tokens required by default',
    );
  });
});
