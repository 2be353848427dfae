/**
 * The slice of semver the kernel needs for `requires` ranges, so the kernel depends on nothing
 * but `@symphony/types` and eventemitter3. Supports `*`, `x` ranges, exact versions, `^`, `~`,
 * comparators (`>=1.2.0 <2`), hyphen-free conjunctions and `||` unions. Pre-releases only match
 * comparators that name the same major.minor.patch, as in npm.
 */
type Version = [number, number, number, string];

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ''] : undefined;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  if (a[3] === '') return 1;
  if (b[3] === '') return -1;
  return a[3] < b[3] ? -1 : 1;
}

type Comparator = { op: '<' | '<=' | '>' | '>=' | '='; v: Version };

/** `1`, `1.2`, `1.x`, `1.2.*` → the bounds they stand for. */
function partial(text: string): { parts: (number | undefined)[]; pre: string } | undefined {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$/.exec(text);
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  return { parts: [num(m[1]), num(m[2]), num(m[3])], pre: m[4] ?? '' };
}

function expand(token: string): Comparator[] | undefined {
  if (token === '*' || token === '' || /^[xX]$/.test(token)) return [];
  const op = /^(\^|~|>=|<=|>|<|=)?(.*)$/.exec(token);
  const prefix = op?.[1] ?? '';
  const p = partial(op?.[2] ?? '');
  if (!p) return undefined;
  const [ma, mi, pa] = p.parts;
  if (ma === undefined) return [];
  const v = (a: number, b: number, c: number, pre = ''): Version => [a, b, c, pre];
  const lo = v(ma, mi ?? 0, pa ?? 0, p.pre);
  switch (prefix) {
    case '^': {
      const hi = ma > 0 || mi === undefined ? v(ma + 1, 0, 0) : mi > 0 || pa === undefined ? v(0, mi + 1, 0) : v(0, 0, pa + 1);
      return [{ op: '>=', v: lo }, { op: '<', v: hi }];
    }
    case '~':
      return [{ op: '>=', v: lo }, { op: '<', v: mi === undefined ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0) }];
    case '>': case '>=': case '<': case '<=':
      if (prefix === '>' && pa === undefined) return [{ op: '>=', v: mi === undefined ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0) }];
      if (prefix === '<=' && pa === undefined) return [{ op: '<', v: mi === undefined ? v(ma + 1, 0, 0) : v(ma, mi + 1, 0) }];
      return [{ op: prefix, v: lo }];
    default:
      if (mi === undefined) return [{ op: '>=', v: lo }, { op: '<', v: v(ma + 1, 0, 0) }];
      if (pa === undefined) return [{ op: '>=', v: lo }, { op: '<', v: v(ma, mi + 1, 0) }];
      return [{ op: '=', v: lo }];
  }
}

function test(c: Comparator, v: Version): boolean {
  const d = compare(v, c.v);
  switch (c.op) {
    case '<': return d < 0;
    case '<=': return d <= 0;
    case '>': return d > 0;
    case '>=': return d >= 0;
    case '=': return d === 0;
  }
}

/** Throws on a range it cannot read, so a typo is an error rather than a silent match. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`"${version}" is not a semver version`);
  return range.split('||').some((alt) => {
    const tokens = alt.trim().replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const comparators: Comparator[] = [];
    for (const token of tokens) {
      const expanded = expand(token);
      if (!expanded) throw new Error(`"${range}" is not a semver range`);
      comparators.push(...expanded);
    }
    if (!comparators.every((c) => test(c, v))) return false;
    // npm's rule: a pre-release only matches a range that mentions a pre-release of the same triple.
    if (v[3] === '') return true;
    return comparators.some((c) => c.v[3] !== '' && c.v[0] === v[0] && c.v[1] === v[1] && c.v[2] === v[2]);
  });
}
