/**
 * Integer helpers on JS numbers that stay exact up to 2^53 (pfns, byte sizes, physical
 * addresses and vmemmap offsets). Bitwise operators are 32-bit in JS, so everything here
 * uses arithmetic instead.
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const PiB = 1024 * TiB;

/** 2^n as an exact number (n <= 53). */
export function pow2(n: number): number {
  return 2 ** n;
}

export function isPow2(x: number): boolean {
  return x > 0 && Number.isInteger(x) && 2 ** Math.round(Math.log2(x)) === x;
}

/** floor(log2(x)) for x >= 1, exact. */
export function ilog2(x: number): number {
  let n = Math.floor(Math.log2(x));
  while (2 ** n > x) n--;
  while (2 ** (n + 1) <= x) n++;
  return n;
}

/** order_base_2(x): ceil(log2(x)), 0 for x <= 1. */
export function orderBase2(x: number): number {
  if (x <= 1) return 0;
  const n = ilog2(x);
  return 2 ** n === x ? n : n + 1;
}

/** Largest power of two dividing x (the kernel's 1 << __ffs(x)); x > 0. */
export function lowestSetBit(x: number): number {
  let p = 1;
  while (x % (p * 2) === 0) p *= 2;
  return p;
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

export function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

export function isAligned(x: number, a: number): boolean {
  return x % a === 0;
}

export function hex(x: number | bigint): string {
  return '0x' + x.toString(16);
}

/** Kernel "%lx": lower-case hex without prefix. */
export function lx(x: number | bigint): string {
  return x.toString(16);
}

/** Kernel "%016lx" style, zero-padded hex. */
export function padHex(x: number | bigint, width = 16): string {
  return x.toString(16).padStart(width, '0');
}
