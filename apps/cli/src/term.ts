/**
 * Terminal output: colour only on a TTY (and never with NO_COLOR), plain text otherwise, decided
 * per stream: `c` for what goes to stdout, `ce` for stderr (progress, errors), so `2>log` holds no
 * escape codes while the terminal still gets colour, and the other way round.
 */
const palette = (stream: NodeJS.WriteStream) => {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  const wrap = (code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { green: wrap(32), red: wrap(31), yellow: wrap(33), dim: wrap(2), bold: wrap(1), cyan: wrap(36) };
};
export const c = palette(process.stdout);
export const ce = palette(process.stderr);
export const isInteractive = process.stderr.isTTY === true;

export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export function table(rows: readonly (readonly string[])[], header: readonly string[]): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell + ' '.repeat((widths[i] ?? 0) - visible(cell))).join('  ');
  return [c.bold(line(header)), ...rows.map(line)].join('\n');
}

export function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`;
}

function visible(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** A line redrawn in place on a TTY; on a pipe, printed at most every `everyMs`. */
export function liveLine(everyMs = 1000): { update(text: string): void; done(text?: string): void } {
  let last = 0;
  return {
    update(text) {
      if (isInteractive) process.stderr.write(`\r\u001b[2K${text}`);
      else if (Date.now() - last >= everyMs) {
        last = Date.now();
        process.stderr.write(`${text}\n`);
      }
    },
    done(text) {
      if (isInteractive) process.stderr.write('\r\u001b[2K');
      if (text) process.stderr.write(`${text}\n`);
    },
  };
}
