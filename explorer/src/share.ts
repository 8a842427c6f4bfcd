/**
 * The scenario travels in the URL fragment: #n=<file name>&s=<base64url of raw-deflated UTF-8>.
 * Fragments are never sent to a server; compression is the browser's own CompressionStream.
 * `vmemlab explore file.yaml` builds the same fragment with Node's zlib.deflateRawSync.
 */
async function pump(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([data as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toB64url(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function encodeFragment(name: string, text: string): Promise<string> {
  const z = await pump(new TextEncoder().encode(text), new CompressionStream('deflate-raw'));
  return `n=${encodeURIComponent(name)}&s=${toB64url(z)}`;
}

/** The scenario in a fragment, or null when there is none (or it does not decode). */
export async function decodeFragment(hash: string): Promise<{ name: string; text: string } | null> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = p.get('s');
  if (!s) return null;
  try {
    const raw = await pump(fromB64url(s), new DecompressionStream('deflate-raw'));
    return { name: p.get('n') || 'shared.yaml', text: new TextDecoder().decode(raw) };
  } catch {
    return null;
  }
}
