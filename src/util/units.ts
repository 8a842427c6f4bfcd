/**
 * Branded number types and size parsing/formatting.
 *
 * pfns, byte sizes and physical addresses are plain JS numbers (all fit below 2^53 for
 * 52-bit physical addresses); absolute kernel virtual addresses are bigint and appear only
 * at the edges (formatting). The brands stop a pfn being passed where an address is meant.
 */
import { KiB, MiB, GiB, TiB, PiB } from './bits.js';

declare const unit: unique symbol;
export type Pfn = number & { readonly [unit]: 'pfn' };
export type PhysAddr = number & { readonly [unit]: 'phys' };
/** Offset of a vmemmap virtual address from the arch's page-table-aligned vmemmap origin. */
export type VmemOff = number & { readonly [unit]: 'vmemoff' };
export type VirtAddr = bigint & { readonly [unit]: 'va' };

export const asPfn = (n: number): Pfn => n as Pfn;
export const asPhys = (n: number): PhysAddr => n as PhysAddr;
export const asOff = (n: number): VmemOff => n as VmemOff;

const SUFFIX: Record<string, number> = {
  '': 1, B: 1,
  K: KiB, KIB: KiB,
  M: MiB, MIB: MiB,
  G: GiB, GIB: GiB,
  T: TiB, TIB: TiB,
  P: PiB, PIB: PiB,
};

export class SizeError extends Error {}

/**
 * Parse "16G", "512M", "1.5T", "0x1000", "4096" or a number. Binary units (K = 1024).
 * Throws SizeError with a reason for anything malformed, negative, fractional in bytes or
 * beyond 2^53.
 */
export function parseSize(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) throw new SizeError(`size ${v} is not a whole number of bytes`);
    if (v < 0) throw new SizeError(`size ${v} is negative`);
    if (!Number.isSafeInteger(v)) throw new SizeError(`size ${v} is above 2^53`);
    return v;
  }
  if (typeof v !== 'string') throw new SizeError(`expected a size like 16G, 0x1000 or 4096, got ${typeof v}`);
  const s = v.trim();
  if (/^-/.test(s)) throw new SizeError(`size "${v}" is negative`);
  if (/^0x[0-9a-f_]+$/i.test(s)) {
    const b = BigInt(s.replace(/_/g, ''));
    if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeError(`size "${v}" is above 2^53`);
    return Number(b);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.replace(/_/g, ''));
  if (!m) throw new SizeError(`"${v}" is not a size (use e.g. 16G, 512M, 0x1000, 4096)`);
  if (/^[kmgtp]b$/i.test(m[2]!)) throw new SizeError(`"${v}": write ${m[1]}${m[2]![0]!.toUpperCase()} or ${m[1]}${m[2]![0]!.toUpperCase()}iB (binary units; "${m[2]}" would be ambiguous)`);
  const mult = SUFFIX[m[2]!.toUpperCase()];
  if (mult === undefined) throw new SizeError(`"${v}" has an unknown unit "${m[2]}" (use K, M, G, T or P)`);
  const [ip, fp = ''] = m[1]!.split('.');
  // exact: integer part * mult + fractional part * mult, both as bigint
  const bi = BigInt(ip!) * BigInt(mult);
  let bf = 0n;
  if (fp) {
    const den = 10n ** BigInt(fp.length);
    const num = BigInt(fp) * BigInt(mult);
    if (num % den !== 0n) throw new SizeError(`"${v}" is not a whole number of bytes`);
    bf = num / den;
  }
  const total = bi + bf;
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new SizeError(`size "${v}" is above 2^53`);
  return Number(total);
}

/**
 * Human-readable binary size: exact in the largest unit that divides it ("16 GiB"), or in a
 * smaller unit when that stays short ("258 MiB", "2016 KiB"), else two decimals ("15.75 GiB").
 */
export function fmtSize(n: number): string {
  if (n === 0) return '0 B';
  const units: [number, string][] = [[PiB, 'PiB'], [TiB, 'TiB'], [GiB, 'GiB'], [MiB, 'MiB'], [KiB, 'KiB']];
  const largest = units.find(([u]) => n >= u);
  if (!largest) return `${n} B`;
  for (const [u, name] of units) {
    if (n >= u && n % u === 0 && (u === largest[0] || n / u < 10000)) return `${n / u} ${name}`;
  }
  return `${(n / largest[0]).toFixed(2)} ${largest[1]}`;
}

/** Short form used in scenario-like contexts: 16G, 512M, 4K, or bytes. */
export function shortSize(n: number): string {
  const units: [number, string][] = [[PiB, 'P'], [TiB, 'T'], [GiB, 'G'], [MiB, 'M'], [KiB, 'K']];
  for (const [u, name] of units) if (n >= u && n % u === 0) return `${n / u}${name}`;
  return String(n);
}

/** Thousands separators for byte counts in human output. */
export function commas(n: number): string {
  // by hand for whole numbers: the first toLocaleString() call loads ICU data (~10 ms of
  // `vmemlab run`'s start-up); the same output as toLocaleString('en-US')
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const s = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < 0 ? '-' + out : out;
}

/**
 * lib/string_helpers.c string_get_size(size, 1, STRING_UNITS_2): three significant digits,
 * only the last division's remainder counts, rounded half up: "2.00 MiB", "126 MiB",
 * "1.75 GiB", "32.0 MiB".
 */
export function fmtSizeKernel(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let size = bytes;
  let rem = 0;
  let i = 0;
  while (size >= 1024) {
    rem = size % 1024;
    size = Math.floor(size / 1024);
    i++;
  }
  let j = 0;
  for (let cap = size; cap * 10 < 1000; j++) cap *= 10;
  rem = ((rem * 1000) >> 10) + [500, 50, 5][j]!;
  if (rem >= 1000) {
    rem -= 1000;
    size += 1;
  }
  const frac = j ? '.' + String(rem).padStart(3, '0').slice(0, j) : '';
  return `${size}${frac} ${units[i] ?? 'UNK'}`;
}
