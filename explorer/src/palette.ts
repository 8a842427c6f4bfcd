/**
 * Colours: the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies),
 * always paired with a pattern or a text label so no meaning rests on colour alone.
 */
export const OI = {
  orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442',
  blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', grey: '#999999', black: '#000000',
};

const NODE_COLOURS = [OI.blue, OI.sky, '#3b6ea5', '#8fc1e3'];
export const nodeColour = (n: number) => NODE_COLOURS[n % NODE_COLOURS.length]!;

export const BACKING = {
  altmap: OI.orange,
  self: OI.green,
  dedup: OI.purple,
  unmapped: '#e6e6e6',
};

export const PART = {
  info: OI.vermillion,
  waste: OI.yellow,
  alloc: OI.orange,
  unused: '#f5d58a',
  data: OI.sky,
  memInfo: OI.vermillion,
};

export const BLOCK_STATE: Record<string, string> = { online: '#b8e0c8', offline: OI.grey };
export const HIGHLIGHT = OI.black;
