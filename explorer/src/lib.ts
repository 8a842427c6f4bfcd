/** The one door to the vmemmap-lab library: its public API (src/index.ts), nothing under it. */
export * from '../../src/index.ts';
