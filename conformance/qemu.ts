/**
 * Boot a planned machine under QEMU (TCG), serve the guest's hot(un)plug requests through the
 * HMP monitor socket, and collect the console, the results channel and a host log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, readSync, writeFileSync, ftruncateSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { MachinePlan } from './plan.js';
import { LABEL_SIZE, stepsScript } from './plan.js';

export interface BootOptions {
  plan: MachinePlan;
  /** vmlinuz (x86) / Image (arm64). */
  image: string;
  /** The base initramfs from guest/build-initramfs.sh. */
  initrd: string;
  runDir: string;
  /** Seconds before QEMU is killed (default 600). */
  timeoutSec?: number;
  log?: (line: string) => void;
}

export interface BootResult {
  results: string;
  console: string;
  hostLog: string;
  qemuArgs: string[];
  kernelCmdline: string;
  wallSeconds: number;
  /** 'done' (the guest printed @@DONE), 'fatal', 'timeout' or 'exit' (QEMU ended without @@DONE). */
  outcome: 'done' | 'fatal' | 'timeout' | 'exit';
  /** what QEMU printed (its errors) */
  qemuStderr: string;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A newc cpio archive holding the given files (mode 0644 regular files). */
export function cpioNewc(files: { name: string; data: Buffer; mode?: number }[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const entry = (name: string, data: Buffer, mode: number) => {
    const nameBuf = Buffer.from(name + '\0');
    const hdr = '070701' + hex(ino++) + hex(mode) + hex(0) + hex(0) + hex(1) + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(0) + hex(0) + hex(nameBuf.length) + hex(0);
    parts.push(Buffer.from(hdr, 'ascii'), nameBuf);
    const pad1 = (4 - ((110 + nameBuf.length) % 4)) % 4;
    parts.push(Buffer.alloc(pad1));
    parts.push(data);
    parts.push(Buffer.alloc((4 - (data.length % 4)) % 4));
  };
  for (const f of files) entry(f.name, f.data, f.mode ?? 0o100644);
  entry('TRAILER!!!', Buffer.alloc(0), 0);
  return Buffer.concat(parts);
}

function hexa(n: number): string {
  return '0x' + n.toString(16);
}

export function kernelCmdline(plan: MachinePlan): string {
  const base = plan.arch === 'x86_64'
    ? ['console=ttyS0,115200', 'vl.out=/dev/ttyS1']
    : ['console=ttyAMA0', 'acpi=force', 'vl.out=/dev/hvc0'];
  // hmem devices: turn that part of RAM into soft-reserved memory (E820_TYPE_SOFT_RESERVED)
  const hmem = plan.devices.filter((d) => d.type === 'hmem').map((d) => `memmap=${hexa(d.size)}%${hexa(d.start)}+0xefffffff`);
  return [...base, ...(process.env.VL_TIMING ? ['vl.timing'] : []), 'panic=-1', 'log_buf_len=8M', 'no_hash_pointers', 'nokaslr', ...hmem, plan.cmdline].filter(Boolean).join(' ').trim();
}

/**
 * maxmem in GiB: 64, or enough for the highest NVDIMM/DIMM end. QEMU's pc machine puts its
 * device memory region at 4 GiB (above RAM) with maxmem - RAM + 1 GiB per slot of room
 * (hw/i386/pc.c pc_memory_init, QEMU 7.2), so maxmem >= the highest end always covers it.
 */
export function maxmemGiB(plan: Pick<MachinePlan, 'devices' | 'dimms'>): number {
  const end = Math.max(0, ...plan.devices.filter((d) => d.type === 'nvdimm').map((d) => d.start + d.size), ...plan.dimms.map((d) => d.start + d.size));
  return Math.max(64, Math.ceil(end / GiB));
}

/** The NVDIMM's backing file: the region plus, when labelled, the label area. */
export function nvdimmFileSize(d: { size: number; labels?: boolean }): number {
  return d.size + (d.labels ? LABEL_SIZE : 0);
}

export function qemuArgs(plan: MachinePlan, o: { image: string; initrd: string; runDir: string }): string[] {
  const dev: string[] = [];
  plan.devices.filter((d) => d.type === 'nvdimm').forEach((d) => {
    const img = join(o.runDir, `nvdimm${d.index}.img`);
    // labelled: QEMU keeps the label area at the end of the backing file, outside the region
    dev.push('-object', `memory-backend-file,id=nvmem${d.index},share=on,mem-path=${img},size=${nvdimmFileSize(d)}`);
    dev.push('-device', `nvdimm,id=nvdimm${d.index},memdev=nvmem${d.index},addr=${hexa(d.start)}${d.labels ? `,label-size=${LABEL_SIZE}` : ''}${plan.nodes.length > 1 ? `,node=${d.node}` : ''}`);
  });
  const numa: string[] = [];
  if (plan.nodes.length > 1) {
    plan.nodes.forEach((n) => {
      // a node without memory is a memoryless node (CPU only)
      if (n.bytes === 0) { numa.push('-numa', `node,nodeid=${n.id},cpus=${n.id}`); return; }
      numa.push('-object', `memory-backend-ram,id=ram${n.id},size=${n.bytes}`);
      numa.push('-numa', `node,nodeid=${n.id},cpus=${n.id},memdev=ram${n.id}`);
    });
    if (plan.distances) plan.distances.forEach((row, i) => row.forEach((v, j) => { if (i < j) numa.push('-numa', `dist,src=${i},dst=${j},val=${v}`); }));
  }
  const mem = ['-m', `${plan.ramBytes / MiB}M,slots=8,maxmem=${maxmemGiB(plan)}G`];
  const mon = ['-monitor', `unix:${join(o.runDir, 'mon.sock')},server,nowait`];
  const cmdline = kernelCmdline(plan);
  if (plan.arch === 'x86_64') {
    return ['qemu-system-x86_64', '-machine', 'pc,nvdimm=on', '-accel', 'tcg', '-cpu', plan.cpu, '-smp', '2', ...mem, ...numa, ...dev,
      '-kernel', o.image, '-initrd', o.initrd, '-append', cmdline,
      '-nodefaults', '-display', 'none', '-vga', 'none', '-no-reboot',
      '-serial', `file:${join(o.runDir, 'console.log')}`, '-serial', `file:${join(o.runDir, 'results.log')}`, ...mon];
  }
  return ['qemu-system-aarch64', '-M', 'virt,nvdimm=on', '-accel', 'tcg', '-cpu', plan.cpu, '-smp', '2', ...mem, ...numa, ...dev,
    '-bios', '/usr/share/qemu-efi-aarch64/QEMU_EFI.fd', '-kernel', o.image, '-initrd', o.initrd, '-append', cmdline,
    '-nodefaults', '-display', 'none', '-no-reboot', '-serial', `file:${join(o.runDir, 'console.log')}`,
    '-device', 'virtio-serial-pci', '-chardev', `file,id=res,path=${join(o.runDir, 'results.log')}`, '-device', 'virtconsole,chardev=res', ...mon];
}

/** A small HMP client: one command at a time, answers end at the "(qemu) " prompt. */
class Monitor {
  private sock: Socket | null = null;
  private buf = '';
  private waiters: (() => void)[] = [];
  constructor(private path: string) {}

  async connect(deadline: number, alive: () => boolean): Promise<void> {
    while (Date.now() < deadline && alive()) {
      try {
        await new Promise<void>((res, rej) => {
          const s = createConnection(this.path);
          s.once('connect', () => { this.sock = s; res(); });
          s.once('error', rej);
          s.on('data', (d) => { this.buf += d.toString('utf8'); this.waiters.splice(0).forEach((w) => w()); });
        });
        await this.prompt(deadline);
        return;
      } catch {
        await sleep(200);
      }
    }
    throw new Error(alive() ? 'cannot connect to the QEMU monitor' : 'QEMU exited before its monitor came up');
  }

  private async prompt(deadline: number): Promise<string> {
    while (!this.buf.includes('(qemu) ')) {
      if (Date.now() > deadline) throw new Error('monitor: no prompt');
      await new Promise<void>((res) => { this.waiters.push(res); setTimeout(res, 200); });
    }
    const i = this.buf.indexOf('(qemu) ');
    const out = this.buf.slice(0, i);
    this.buf = this.buf.slice(i + 7);
    return out;
  }

  async cmd(c: string): Promise<string> {
    if (!this.sock) throw new Error('monitor not connected');
    this.sock.write(c + '\n');
    // HMP echoes the command (with terminal escapes); strip them
    // eslint-disable-next-line no-control-regex
    return (await this.prompt(Date.now() + 30_000)).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  close(): void {
    this.sock?.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readFrom(path: string, offset: number): { text: string; size: number } {
  if (!existsSync(path)) return { text: '', size: offset };
  const size = statSync(path).size;
  if (size <= offset) return { text: '', size: offset };
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(size - offset);
  readSync(fd, b, 0, b.length, offset);
  closeSync(fd);
  return { text: b.toString('latin1'), size };
}

export async function bootMachine(o: BootOptions): Promise<BootResult> {
  const { plan, runDir } = o;
  const log = o.log ?? (() => {});
  mkdirSync(runDir, { recursive: true });
  for (const f of ['console.log', 'results.log', 'mon.sock']) rmSync(join(runDir, f), { force: true });
  // the run's initramfs: the base image plus a cpio holding /steps.sh
  const steps = stepsScript(plan);
  writeFileSync(join(runDir, 'steps.sh'), steps);
  const initrd = join(runDir, 'initrd.cpio.gz');
  writeFileSync(initrd, Buffer.concat([readFileSync(o.initrd), gzipSync(cpioNewc([{ name: 'steps.sh', data: Buffer.from(steps) }]))]));
  // sparse NVDIMM backing files
  for (const d of plan.devices.filter((x) => x.type === 'nvdimm')) {
    const img = join(runDir, `nvdimm${d.index}.img`);
    rmSync(img, { force: true });
    const fd = openSync(img, 'w');
    ftruncateSync(fd, nvdimmFileSize(d));
    closeSync(fd);
  }
  const args = qemuArgs(plan, { image: o.image, initrd, runDir });
  const hostLog: string[] = [`qemu: ${args.map((a) => (/[\s,]/.test(a) && !a.includes('=') ? JSON.stringify(a) : a)).join(' ')}`];
  const hl = (s: string) => { hostLog.push(s); log(s); };
  const t0 = Date.now();
  const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (d) => { stderr += d.toString(); });
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  let exited = false;
  const exitP = new Promise<number | null>((res) => child.on('exit', (code) => { exited = true; res(code); }));
  const deadline = t0 + (o.timeoutSec ?? 600) * 1000;
  const mon = new Monitor(join(runDir, 'mon.sock'));
  let outcome: BootResult['outcome'] = 'exit';
  try {
    await mon.connect(Math.min(deadline, Date.now() + 30_000), () => !exited);
    let off = 0;
    let pending = '';
    const resultsPath = join(runDir, 'results.log');
    while (!exited) {
      if (Date.now() > deadline) { outcome = 'timeout'; hl(`host: timeout after ${o.timeoutSec ?? 600} s, killing QEMU`); break; }
      const r = readFrom(resultsPath, off);
      off = r.size;
      pending += r.text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        let m: RegExpExecArray | null;
        if ((m = /^@@HOTPLUG_REQUEST id=(\d+) size=(\d+) node=(\d+) addr=(0x[0-9a-f]+)/.exec(line))) {
          const [, id, sz, node, addr] = m;
          hl(`host: hot-add dimm${id} size=${sz} node=${node} addr=${addr}`);
          for (const c of [`object_add memory-backend-ram,id=hpmem${id},size=${sz}`, `device_add pc-dimm,id=dimm${id},memdev=hpmem${id},addr=${addr},node=${node}`, 'info memory-devices']) {
            hl(`(qemu) ${c}`);
            hl((await mon.cmd(c)).trim());
          }
        } else if ((m = /^@@UNPLUG_REQUEST id=(\d+)/.exec(line))) {
          hl(`host: hot-remove dimm${m[1]}`);
          hl(`(qemu) device_del dimm${m[1]}`);
          hl((await mon.cmd(`device_del dimm${m[1]}`)).trim());
        } else if (line.startsWith('@@DONE')) {
          outcome = 'done';
        } else if (line.startsWith('@@FATAL')) {
          outcome = 'fatal';
          hl(`host: guest reported ${line}`);
        }
      }
      // after @@DONE nothing more is read; the guest powers off by itself (below: or is stopped)
      if (outcome === 'done') break;
      await Promise.race([exitP, sleep(200)]);
    }
  } catch (e) {
    hl(`host: ${(e as Error).message}`);
  } finally {
    mon.close();
    if (!exited) {
      // the guest powers off by itself after @@DONE; give it a moment, then stop it
      await Promise.race([exitP, sleep(outcome === 'done' ? 15_000 : 100)]);
      // after a kernel oops the power-off can hang: device_shutdown() takes every device's lock,
      // and the oopsed task died holding one
      if (!exited && outcome === 'done') hl('host: the guest did not power off within 15 s of @@DONE, stopping QEMU');
      if (!exited) { child.kill('SIGTERM'); await Promise.race([exitP, sleep(5000)]); }
      if (!exited) child.kill('SIGKILL');
    }
    await exitP;
  }
  if (outcome === 'exit' && existsSync(join(runDir, 'results.log')) && /^@@DONE/m.test(readFileSync(join(runDir, 'results.log'), 'latin1'))) outcome = 'done';
  if (stderr.trim()) hl(`qemu stderr: ${stderr.trim()}`);
  const wallSeconds = (Date.now() - t0) / 1000;
  hl(`host: QEMU ended after ${wallSeconds.toFixed(1)} s, outcome ${outcome}`);
  const results = existsSync(join(runDir, 'results.log')) ? readFileSync(join(runDir, 'results.log'), 'latin1') : '';
  const consoleText = existsSync(join(runDir, 'console.log')) ? readFileSync(join(runDir, 'console.log'), 'latin1') : '';
  for (const d of plan.devices) rmSync(join(runDir, `nvdimm${d.index}.img`), { force: true });
  rmSync(join(runDir, 'mon.sock'), { force: true });
  rmSync(initrd, { force: true }); // 5 MB, rebuilt from the cached base image next time
  return { results: results.replace(/\r\n/g, '\n'), console: consoleText.replace(/\r\n/g, '\n'), hostLog: hostLog.join('\n') + '\n', qemuArgs: args, kernelCmdline: kernelCmdline(plan), wallSeconds, outcome, qemuStderr: stderr.trim() };
}

/** Build (or reuse) the base initramfs for a kernel: cached by the inputs' mtimes. */
export function buildInitramfs(o: { arch: string; modulesRoot: string; kver: string; out: string; guestDir: string; cacheDir: string }): void {
  const inputs = [join(o.guestDir, 'init.sh'), join(o.guestDir, 'build-initramfs.sh'), join(o.cacheDir, 'bin', `vmemdump-${o.arch}`)];
  // a rebuilt kernel's modules tree (a self-built kernel's recipe runs depmod again)
  const dep = join(o.modulesRoot, 'lib', 'modules', o.kver, 'modules.dep');
  if (existsSync(dep)) inputs.push(dep);
  if (existsSync(o.out)) {
    const t = statSync(o.out).mtimeMs;
    if (inputs.every((f) => existsSync(f) && statSync(f).mtimeMs <= t)) return;
  }
  const r = spawnSync('bash', [join(o.guestDir, 'build-initramfs.sh'), o.arch, o.modulesRoot, o.kver, o.out], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, VMEMLAB_CONFORMANCE_CACHE: o.cacheDir } });
  if (r.status !== 0) throw new Error(`build-initramfs.sh failed (exit ${r.status})`);
}

export { GiB };
