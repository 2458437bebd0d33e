/**
 * RFC 4180 CSV: fields separated by a delimiter, records by CRLF or LF; a field in double quotes
 * may hold delimiters, newlines and doubled quotes (""). The recorded news and labelled sets
 * have quoted multi-line fields, so splitting on newlines would be wrong.
 */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false;
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let i = start; i < text.length; i += 1) {
    const char = text[i];
    if (inQuotes) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          inQuotes = false;
        }
      } else {
        field += char;
      }
      continue;
    }
    if (char === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (char === delimiter) {
      record.push(field);
      field = '';
      fieldStarted = false;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
    } else {
      field += char;
      fieldStarted = true;
    }
  }
  if (inQuotes) throw new CsvError(`unterminated quoted field in record ${records.length + 1}`);
  if (fieldStarted || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/** Records keyed by the header row; blank lines are skipped, short records padded with ''. */
export function parseCsvWithHeader(
  text: string,
  delimiter = ',',
): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...records] = parseCsv(text, delimiter);
  if (header === undefined) return { header: [], rows: [] };
  const rows = records
    .filter((record) => !(record.length === 1 && record[0] === ''))
    .map((record) => Object.fromEntries(header.map((name, index) => [name, record[index] ?? ''])));
  return { header, rows };
}
