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

/** A profile file shared with the scenario (`vmemlab explore s.yaml --kernel ./my.yaml`): #...&pn=<name>&p=<deflated text>. */
export interface SharedProfile { name: string; text: string }

export async function encodeFragment(name: string, text: string, profile?: SharedProfile | null): Promise<string> {
  const z = await pump(new TextEncoder().encode(text), new CompressionStream('deflate-raw'));
  let f = `n=${encodeURIComponent(name)}&s=${toB64url(z)}`;
  if (profile) f += `&pn=${encodeURIComponent(profile.name)}&p=${toB64url(await pump(new TextEncoder().encode(profile.text), new CompressionStream('deflate-raw')))}`;
  return f;
}

/** The scenario (and a profile file) in a fragment, or null when there is none (or it does not decode). */
export async function decodeFragment(hash: string): Promise<{ name: string; text: string; profile: SharedProfile | null } | null> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = p.get('s');
  if (!s) return null;
  try {
    const raw = await pump(fromB64url(s), new DecompressionStream('deflate-raw'));
    const pr = p.get('p');
    const profile = pr ? { name: p.get('pn') || 'profile.yaml', text: new TextDecoder().decode(await pump(fromB64url(pr), new DecompressionStream('deflate-raw'))) } : null;
    return { name: p.get('n') || 'shared.yaml', text: new TextDecoder().decode(raw), profile };
  } catch {
    return null;
  }
}
