/**
 * A small printf for kernel format strings, so the model keeps the kernel's own format
 * strings verbatim ("%s: pfn: %#lx alloc: %ld align: %ld nr: %#lx\n") and fills them here.
 *
 * Supported: %s %d %i %u %ld %lu %lld %llu %lx %llx %#lx %#llx %x %#x %016lx %pa %pr %p %%.
 * Integer arguments may be number or bigint. %p / %pa / %pr take pre-formatted strings
 * (the model decides how to show a pointer it may not know).
 */
type Part = string | { spec: string; pointer: boolean; str: boolean; conv: string; alt: boolean; zero: boolean; width: number };

/** Each format string split once into literal text and conversions (a format is a constant at its call site). */
const compiled = new Map<string, Part[]>();

function compile(fmt: string): Part[] {
  const parts: Part[] = [];
  const re = /%(%|#?0?\d*(?:hh|h|ll|l|z)?[sdiuxX]|p[a-zA-Z]*|#?0?\d*p[a-zA-Z]*)/g;
  let last = 0;
  for (let m = re.exec(fmt); m; m = re.exec(fmt)) {
    if (m.index > last) parts.push(fmt.slice(last, m.index));
    last = m.index + m[0].length;
    const spec = m[1]!;
    if (spec === '%') {
      parts.push('%');
      continue;
    }
    const conv = spec[spec.length - 1]!;
    const body = spec.replace(/^#/, '').replace(/(hh|h|ll|l|z)?[sdiuxX]$/, '');
    parts.push({ spec, pointer: spec.includes('p'), str: conv === 's', conv, alt: spec.startsWith('#'), zero: body.startsWith('0'), width: body ? parseInt(body, 10) : 0 });
  }
  if (last < fmt.length) parts.push(fmt.slice(last));
  return parts;
}

export function kfmt(fmt: string, ...args: unknown[]): string {
  let parts = compiled.get(fmt);
  if (!parts) compiled.set(fmt, (parts = compile(fmt)));
  let out = '';
  let i = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    const a = args[i++];
    if (p.pointer || p.str) {
      out += String(a);
      continue;
    }
    if (typeof a === 'string' && !/^-?\d+$/.test(a)) {
      out += a; // a value the model does not know
      continue;
    }
    let s: string;
    const n = typeof a === 'number' ? Math.trunc(a) : NaN;
    if (Number.isSafeInteger(n) && (n >= 0 || (p.conv !== 'x' && p.conv !== 'X'))) {
      // a whole number that fits: no BigInt needed
      s = p.conv === 'x' || p.conv === 'X' ? n.toString(16) : String(n);
    } else {
      const v = typeof a === 'bigint' ? a : BigInt(Math.trunc(Number(a)));
      s = p.conv === 'x' || p.conv === 'X' ? (v < 0n ? v + (1n << 64n) : v).toString(16) : v.toString(10);
    }
    if (p.conv === 'X') s = s.toUpperCase();
    if (p.alt && (p.conv === 'x' || p.conv === 'X')) s = '0x' + s; // lib/vsprintf.c number(): the kernel prints 0x0 for zero, unlike glibc
    if (p.width && s.length < p.width) s = p.zero ? s.padStart(p.width, '0') : s.padStart(p.width, ' ');
    out += s;
  }
  return out;
}
