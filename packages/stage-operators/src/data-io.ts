import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { JSONParser } from '@streamparser/json';
import { parse as parseCsv } from 'csv-parse';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { SymphonyError } from '@symphony/types';
import type { DataRecord } from './data-spec.js';
import { fsError } from './guard.js';

export type DataFormat = 'csv' | 'json' | 'ndjson';

export interface CsvOptions {
  delimiter?: string;
  /** Header names; by default the first row is the header. */
  columns?: string[];
  /** Turn numeric-looking fields into numbers. */
  cast?: boolean;
}

const CHUNK = 256 * 1024;
/** How far into a file we look for NUL bytes: text formats never contain one. */
const SNIFF_BYTES = 8192;

export function formatOf(path: string, explicit?: DataFormat): DataFormat {
  if (explicit) return explicit;
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.json') return 'json';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  throw new SymphonyError('E_INPUT_INVALID', `Cannot tell the format of ${path} from its extension; pass format: "csv" | "json" | "ndjson".`, { details: { path } });
}

/** The file's bytes, chunk by chunk, refusing a binary file on its first chunk (before reading on). */
async function* textChunks(path: string, shownPath: string, format: DataFormat, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: CHUNK, ...(signal ? { signal } : {}) });
  let first = true;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      if (first) {
        first = false;
        const nul = buffer.subarray(0, SNIFF_BYTES).indexOf(0);
        if (nul !== -1) {
          stream.destroy();
          throw new SymphonyError('E_INPUT_INVALID', `${shownPath} looks like a binary file (a NUL byte at offset ${nul}), not ${format.toUpperCase()} text.`, {
            details: { path: shownPath, offset: nul, format },
          });
        }
      }
      yield buffer;
    }
  } catch (error) {
    throw fsError(error, shownPath, 'read');
  }
}

/**
 * Records of a CSV, JSON (an array of objects) or NDJSON file, streamed: memory holds one chunk
 * and the records parsed from it, whatever the file's size.
 */
export async function* readRecords(path: string, options: { format: DataFormat; shownPath?: string; csv?: CsvOptions; signal?: AbortSignal }): AsyncGenerator<DataRecord> {
  const shown = options.shownPath ?? path;
  const chunks = textChunks(path, shown, options.format, options.signal);
  if (options.format === 'csv') yield* csvRecords(chunks, shown, options.csv ?? {});
  else if (options.format === 'ndjson') yield* ndjsonRecords(chunks, shown);
  else yield* jsonRecords(chunks, shown);
}

async function* csvRecords(chunks: AsyncIterable<Buffer>, shown: string, csv: CsvOptions): AsyncGenerator<DataRecord> {
  const parser = parseCsv({
    columns: csv.columns ?? true,
    delimiter: csv.delimiter ?? (shown.toLowerCase().endsWith('.tsv') ? '\t' : ','),
    bom: true,
    skip_empty_lines: true,
    cast: csv.cast ?? false,
  });
  const source = Readable.from(chunks);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const record of parser) yield record as DataRecord;
  } catch (error) {
    if ((error as { name?: string }).name === 'SymphonyError') throw error;
    const e = error as { message: string; code?: string; lines?: number };
    throw new SymphonyError('E_INPUT_INVALID', `${shown} is not valid CSV${e.lines ? ` (line ${e.lines})` : ''}: ${e.message}`, {
      details: { path: shown, line: e.lines, csvCode: e.code },
      cause: error,
    });
  } finally {
    source.destroy();
  }
}

async function* ndjsonRecords(chunks: AsyncIterable<Buffer>, shown: string): AsyncGenerator<DataRecord> {
  const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SymphonyError('E_INPUT_INVALID', `${shown} line ${lineNumber} is not JSON: ${(error as Error).message}`, { details: { path: shown, line: lineNumber } });
    }
    yield asRecord(value, shown, lineNumber);
  }
}

async function* jsonRecords(chunks: AsyncIterable<Buffer>, shown: string): AsyncGenerator<DataRecord> {
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  const ready: unknown[] = [];
  let topLevelChecked = false;
  let index = 0;
  parser.onValue = ({ value }) => ready.push(value);
  try {
    for await (const chunk of chunks) {
      if (!topLevelChecked) {
        const text = chunk.toString('utf8').trimStart().replace(/^\uFEFF/, '');
        if (text.length > 0) {
          topLevelChecked = true;
          if (!text.startsWith('[')) throw new SymphonyError('E_INPUT_INVALID', `${shown} must hold a JSON array of records (it starts with "${text[0]}").`, { details: { path: shown } });
        }
      }
      parser.write(chunk);
      while (ready.length > 0) yield asRecord(ready.shift(), shown, index++);
    }
    if (!topLevelChecked) return;
    // The parser ends by itself once the top-level array closes; ending it again is an error.
    if (!parser.isEnded) parser.end();
    while (ready.length > 0) yield asRecord(ready.shift(), shown, index++);
  } catch (error) {
    if ((error as { name?: string }).name === 'SymphonyError') throw error;
    throw new SymphonyError('E_INPUT_INVALID', `${shown} is not valid JSON: ${(error as Error).message}`, { details: { path: shown } });
  }
}

function asRecord(value: unknown, shown: string, position: number): DataRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SymphonyError('E_INPUT_INVALID', `${shown}: record ${position} is not an object.`, { details: { path: shown, record: position } });
  }
  return value as DataRecord;
}

/**
 * Writes records to a file atomically (temp file + rename), streaming: CSV with a header from the
 * first record (or `columns`), JSON as one array, NDJSON as one object per line.
 */
export async function writeRecords(path: string, records: AsyncIterable<DataRecord> | Iterable<DataRecord>, options: { format: DataFormat; shownPath?: string; columns?: string[]; delimiter?: string }): Promise<{ count: number; bytes: number }> {
  const shown = options.shownPath ?? path;
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const out = createWriteStream(temp, { flags: 'wx' });
  let count = 0;
  let bytes = 0;
  let columns = options.columns;
  const write = async (text: string): Promise<void> => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    if (options.format === 'json') await write('[');
    for await (const record of records) {
      if (options.format === 'csv') {
        if (!columns) {
          columns = Object.keys(record);
          await write(stringifyCsv([columns], { delimiter: options.delimiter ?? ',' }));
        }
        await write(stringifyCsv([columns.map((c) => cell(record[c]))], { delimiter: options.delimiter ?? ',' }));
      } else if (options.format === 'ndjson') {
        await write(JSON.stringify(record) + '\n');
      } else {
        await write((count === 0 ? '\n' : ',\n') + JSON.stringify(record));
      }
      count++;
    }
    if (options.format === 'json') await write(count === 0 ? ']\n' : '\n]\n');
    if (options.format === 'csv' && !columns && options.columns) await write(stringifyCsv([options.columns]));
    out.end();
    await once(out, 'finish');
    await rename(temp, path);
    return { count, bytes };
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true }).catch(() => {});
    throw fsError(error, shown, 'write');
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
