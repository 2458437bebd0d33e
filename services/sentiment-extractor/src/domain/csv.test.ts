import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvError, parseCsv, parseCsvWithHeader } from './csv.js';

describe('parseCsv', () => {
  it('splits plain records on commas and newlines', () => {
    assert.deepEqual(
      parseCsv('a,b,c\n1,2,3\n'),
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
      'two records of three fields',
    );
  });

  it('keeps commas, newlines and doubled quotes inside quoted fields', () => {
    const text = 'title,body\n"Bitcoin, Ether rally","line one\nline two with ""quotes"""\n';
    assert.deepEqual(
      parseCsv(text),
      [
        ['title', 'body'],
        ['Bitcoin, Ether rally', 'line one\nline two with "quotes"'],
      ],
      'a quoted field is one field',
    );
  });

  it('reads CRLF line ends and a last record without a newline', () => {
    assert.deepEqual(
      parseCsv('a,b\r\n1,2'),
      [
        ['a', 'b'],
        ['1', '2'],
      ],
      'CRLF ends a record like LF',
    );
  });

  it('keeps empty fields', () => {
    assert.deepEqual(
      parseCsv('a,,c\n,,\n'),
      [
        ['a', '', 'c'],
        ['', '', ''],
      ],
      'empty fields stay in place',
    );
  });

  it('drops a UTF-8 byte order mark', () => {
    assert.deepEqual(parseCsv('\uFEFFname\nx\n'), [['name'], ['x']], 'the BOM is not part of the first header');
  });

  it('refuses an unterminated quoted field', () => {
    assert.throws(() => parseCsv('a\n"never closed\n'), CsvError, 'an open quote at end of input is an error');
  });

  it('maps records to the header and skips blank lines', () => {
    const { header, rows } = parseCsvWithHeader('x,y\n1,2\n\n3\n');
    assert.deepEqual(header, ['x', 'y']);
    assert.deepEqual(
      rows,
      [
        { x: '1', y: '2' },
        { x: '3', y: '' },
      ],
      'blank line skipped, short record padded',
    );
  });
});
