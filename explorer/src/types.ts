/** What the maps draw and what a selection is. Shared by the views. */

/** One thing that can be selected: its physical range and/or the vmemmap range of its struct pages. */
export interface Selection {
  id: string;
  kind: 'namespace' | 'part' | 'node' | 'device' | 'section' | 'block' | 'dax' | 'leaf' | 'table' | 'range';
  label: string;
  /** Physical bytes [start, end). */
  phys?: [number, number];
  /** vmemmap offsets [start, end) from VMEMMAP_START. */
  vmem?: [number, number];
  /** The namespace this belongs to, for the "where does its memmap live" answer. */
  namespace?: string;
  /** Names the explain text may mention (device, dax device, namespace): the steps that do are the "why". */
  about?: string[];
}

export interface Item {
  id: string;
  start: number;
  end: number;
  fill: string;
  /** Diagonal hatching: a second, colour-independent cue (PTE leaves, boot vs hot-added...). */
  hatch?: boolean;
  label: string;
  detail: string;
  sel: Selection;
  /** New or different after the step shown (absent from the state before it). */
  changed?: boolean;
}

/** `count` copies of [start + i*period, start + i*period + len): drawn only where visible. */
export interface Periodic {
  id: string;
  start: number;
  period: number;
  count: number;
  len: number;
  fill: string;
  label: string;
  detail: string;
}

export interface Track {
  name: string;
  items: Item[];
  periodic?: Periodic[];
  /** Draw boundaries every `period` bytes once they are at least a few pixels apart. */
  grid?: number;
}
