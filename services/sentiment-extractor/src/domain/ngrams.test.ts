import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ngramProbabilities, trainNgramSoftmax } from './ngram-softmax.js';
import { buildVocabulary, sparseNgrams, textNgrams, vocabularyIndex } from './ngrams.js';

describe('word n-grams', () => {
  it('lists lower-cased words of two or more characters and neighbouring pairs, once each', () => {
    assert.deepEqual(
      textNgrams('Bitcoin plunges; Bitcoin plunges a LOT'),
      ['bitcoin', 'bitcoin plunges', 'plunges', 'plunges bitcoin', 'plunges lot', 'lot'],
      'one-letter words are dropped before pairing (as in scikit-learn), repeats counted once',
    );
    assert.deepEqual(textNgrams('Ölpreis fällt'), ['ölpreis', 'ölpreis fällt', 'fällt'], 'letters beyond ASCII');
  });

  it('keeps the n-grams of at least two texts, sorted, and scales a text to unit length', () => {
    const vocabulary = buildVocabulary(['ETF approved', 'ETF approved again', 'exchange hacked']);
    assert.deepEqual(vocabulary, ['approved', 'etf', 'etf approved'], 'only n-grams of two texts');
    const features = sparseNgrams(vocabularyIndex(vocabulary), 'ETF approved today');
    assert.deepEqual([...features.indices], [0, 1, 2], 'indices of the known n-grams');
    assert.equal(features.value, 1 / Math.sqrt(3), 'each weighs 1/sqrt(3)');
    assert.deepEqual(sparseNgrams(vocabularyIndex(vocabulary), 'nothing known').value, 0, 'no known n-gram: zero');
  });
});

describe('n-gram softmax regression', () => {
  it('learns polarity from words the dense input does not carry, deterministically', () => {
    const texts = ['shares surge', 'token surges', 'price plunges', 'coin plunges', 'market flat', 'volume flat'];
    const labels = [2, 2, 0, 0, 1, 1];
    const repeated = Array.from({ length: 20 }, () => texts).flat();
    const repeatedLabels = Array.from({ length: 20 }, () => labels).flat();
    const vocabulary = buildVocabulary(repeated);
    const index = vocabularyIndex(vocabulary);
    const examples = repeated.map((text) => ({ dense: [1, 0], ngrams: sparseNgrams(index, text) }));
    const options = { classes: 3, epochs: 40, batchSize: 8, learningRate: 0.05, l2: 0, seed: 3 };
    const model = trainNgramSoftmax(examples, repeatedLabels, vocabulary.length, options);
    texts.forEach((text, i) => {
      const p = ngramProbabilities(model, { dense: [1, 0], ngrams: sparseNgrams(index, text) });
      assert.equal(p.indexOf(Math.max(...p)), labels[i], `${text} is classified by its words`);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
    });
    assert.deepEqual(
      trainNgramSoftmax(examples, repeatedLabels, vocabulary.length, options),
      model,
      'the same data and options give the same model',
    );
  });
});
