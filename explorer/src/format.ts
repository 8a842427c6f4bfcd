/** Number formatting for labels and tables. */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1.5 GiB, 4 KiB, 6 TiB: binary units, at most 3 significant decimals. */
export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);
  return `${neg ? '-' : ''}${s} ${UNITS[u]}`;
}

export const commas = (n: number) => n.toLocaleString('en-US');

/** Hex of a non-negative integer that may exceed 2^53 only as base + offset. */
export function hexAddr(base: bigint, off: number): string {
  return '0x' + (base + BigInt(Math.round(off))).toString(16);
}

export const hex = (n: number) => '0x' + Math.round(n).toString(16);
