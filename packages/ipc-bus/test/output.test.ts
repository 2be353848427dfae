import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_OUTPUT_LINE } from '../src/supervisor.js';

describe('extension output lines', () => {
  it('keeps at most MAX_OUTPUT_LINE characters of a line, counts the rest, and splits on any chunk boundary', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(MAX_OUTPUT_LINE, (line) => lines.push(line));
    splitter.push('a\r\nb');
    splitter.push('c\n');
    // 40 MB without a newline, in 1 MiB chunks: only the first 8 KiB is ever held.
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) splitter.push(chunk);
    splitter.push('\ntail');
    splitter.end();
    expect(lines[0]).toBe('a');
    expect(lines[1]).toBe('bc');
    expect(lines[2]!.length).toBeLessThan(MAX_OUTPUT_LINE + 64);
    expect(lines[2]).toMatch(new RegExp(`^x{${MAX_OUTPUT_LINE}} …\\[${40 * 1024 * 1024 - MAX_OUTPUT_LINE} more characters dropped\\]$`));
    expect(lines[3]).toBe('tail');
    expect(lines).toHaveLength(4);
  });
});
