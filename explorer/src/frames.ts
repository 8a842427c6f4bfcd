/**
 * Frame timing: every map draw records how long it took, in the page, so the browser test (and
 * anyone with the console) can read the figures from window.__explorerFrames.
 */
export interface FrameLog { [map: string]: number[] }

declare global {
  interface Window { __explorerFrames?: FrameLog }
}

export function recordFrame(map: string, ms: number) {
  const log = (window.__explorerFrames ??= {});
  const xs = (log[map] ??= []);
  xs.push(ms);
  if (xs.length > 2000) xs.splice(0, xs.length - 2000);
}
