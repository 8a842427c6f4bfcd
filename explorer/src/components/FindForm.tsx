/**
 * "Find the struct pages of this physical range", and back: "which memory does this vmemmap
 * address describe". Sizes and addresses as the CLI takes them (64G, 0x1000000000, 4096).
 */
import { useState } from 'preact/hooks';
import { parseSize } from '../lib.ts';
import { locate, stepState } from '../store.ts';
import { physOfVmem, vmemOfPhys } from '../model.ts';
import { fmtBytes } from '../format.ts';

export function FindForm() {
  const [start, setStart] = useState('');
  const [size, setSize] = useState('2M');
  const [va, setVa] = useState('');
  const [err, setErr] = useState('');
  const l = stepState.value.layout;
  const findPhys = (ev: Event) => {
    ev.preventDefault();
    try {
      const a = parseSize(start.trim());
      const n = Math.max(l.pageSize, parseSize(size.trim()));
      const phys: [number, number] = [a, a + n];
      setErr('');
      locate({ id: `find:${a}:${n}`, kind: 'range', label: `physical ${fmtBytes(a)} + ${fmtBytes(n)}`, phys, vmem: vmemOfPhys(l, phys) });
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  const findVa = (ev: Event) => {
    ev.preventDefault();
    try {
      const off = Number(BigInt(va.trim()) - BigInt(l.vmemmapStart));
      if (off < 0 || off >= l.vmemmapSize) throw new RangeError(`${va} is outside the vmemmap window (${l.vmemmapStart} + ${fmtBytes(l.vmemmapSize)})`);
      const s = Math.floor(off / l.structPageSize) * l.structPageSize;
      const vmem: [number, number] = [s, s + l.structPageSize];
      const phys = physOfVmem(l, vmem);
      setErr('');
      locate({ id: `findva:${s}`, kind: 'range', label: `the struct page at ${va.trim()}`, vmem, phys: [phys[0], phys[0] + l.pageSize] });
    } catch (e) {
      setErr(e instanceof SyntaxError ? `${va}: not an address (e.g. ${l.vmemmapStart})` : (e as Error).message);
    }
  };
  return (
    <div class="find" data-testid="find">
      <h3>Find</h3>
      <form onSubmit={findPhys}>
        <label>struct pages of physical <input data-testid="find-start" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} placeholder="64G or 0x1000000000" size={16} /></label>{' '}
        <label>size <input data-testid="find-size" value={size} onInput={(e) => setSize((e.target as HTMLInputElement).value)} size={6} /></label>{' '}
        <button type="submit" data-testid="find-phys">Find</button>
      </form>
      <form onSubmit={findVa}>
        <label>memory described at vmemmap <input data-testid="find-va" value={va} onInput={(e) => setVa((e.target as HTMLInputElement).value)} placeholder={l.vmemmapStart} size={20} /></label>{' '}
        <button type="submit" data-testid="find-vmem">Find</button>
      </form>
      {err && <p class="bad" role="alert">{err}</p>}
    </div>
  );
}
