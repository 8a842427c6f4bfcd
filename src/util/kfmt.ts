/**
 * A small printf for kernel format strings, so the model keeps the kernel's own format
 * strings verbatim ("%s: pfn: %#lx alloc: %ld align: %ld nr: %#lx\n") and fills them here.
 *
 * Supported: %s %d %i %u %ld %lu %lld %llu %lx %llx %#lx %#llx %x %#x %016lx %pa %pr %p %%.
 * Integer arguments may be number or bigint. %p / %pa / %pr take pre-formatted strings
 * (the model decides how to show a pointer it may not know).
 */
export function kfmt(fmt: string, ...args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(%|#?0?\d*(?:hh|h|ll|l|z)?[sdiuxX]|p[a-zA-Z]*|#?0?\d*p[a-zA-Z]*)/g, (m, spec: string) => {
    if (spec === '%') return '%';
    const a = args[i++];
    if (spec.includes('p')) return String(a);
    const conv = spec[spec.length - 1]!;
    if (conv === 's') return String(a);
    const alt = spec.startsWith('#');
    const body = spec.replace(/^#/, '').replace(/(hh|h|ll|l|z)?[sdiuxX]$/, '');
    const zero = body.startsWith('0');
    const width = body ? parseInt(body, 10) : 0;
    if (typeof a === 'string' && !/^-?\d+$/.test(a)) return a; // a value the model does not know
    const v = typeof a === 'bigint' ? a : BigInt(Math.trunc(Number(a)));
    let s: string;
    if (conv === 'x' || conv === 'X') {
      const u = v < 0n ? v + (1n << 64n) : v;
      s = u.toString(16);
      if (conv === 'X') s = s.toUpperCase();
      if (alt) s = '0x' + s; // lib/vsprintf.c number(): the kernel prints 0x0 for zero, unlike glibc
    } else s = v.toString(10);
    if (width && s.length < width) s = zero ? s.padStart(width, '0') : s.padStart(width, ' ');
    return s;
  });
}
