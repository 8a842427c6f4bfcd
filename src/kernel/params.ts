/**
 * The kernel command line, as far as the model understands it: init/main.c start_kernel ->
 * parse_args("Booting kernel", ...) -> kernel/params.c parse_one() for built-in module
 * parameters, and the early_param/__setup handlers the memmap depends on.
 *
 *  memhp_default_state=   mm/memory_hotplug.c setup_memhp_default_state() (__setup)
 *  memory_hotplug.memmap_on_memory=
 *                         v5.13-v6.5 module_param(bool); v6.6+ module_param_cb with
 *                         set_memmap_mode() accepting "force"/"FORCE" too
 *  hugetlb_free_vmemmap=  mm/hugetlb_vmemmap.c (early_param, on/off)
 *
 * Anything else is kept in Machine.ignoredParams and shown as ignored.
 */
import type { ArchConfig } from '../arch/types.js';
import type { KernelProfile } from '../kernels/types.js';
import { KERN_ERR, KERN_INFO, KERN_WARNING, printk } from './printk.js';
import type { Kernel, KernelCmdline } from './state.js';

/**
 * lib/kstrtox.c kstrtobool(): y/Y/1, n/N/0, on/off, plus t/f (6.1+) and e/d (6.18+); only the
 * first two characters count ("force" is false where f is accepted); else -EINVAL.
 */
export function kstrtobool(s: string, letters: KernelProfile['kstrtobool'] = 'tfed'): boolean | null {
  const c = s[0];
  if (c === undefined) return null;
  const yes = 'yY1' + (letters !== 'yn' ? 'tT' : '') + (letters === 'tfed' ? 'eE' : '');
  const no = 'nN0' + (letters !== 'yn' ? 'fF' : '') + (letters === 'tfed' ? 'dD' : '');
  if (yes.includes(c)) return true;
  if (no.includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return null;
}

export interface ParsedCmdline {
  cmdline: KernelCmdline;
  /** Parameters the model does not use. */
  ignored: string[];
  /** Parameters (or values) the model knows that this kernel version does not have, with when they arrived. */
  absent: { param: string; why: string }[];
}

/** parse_args() over the scenario's command line for `profile`. */
export function parseCmdline(profile: KernelProfile, line: string, lacks: ArchConfig['lacks'] = {}): ParsedCmdline {
  const cmd: KernelCmdline = { onlineType: profile.defaultOnlineType, memmapOnMemory: 'off', hugetlbFreeVmemmap: false, messages: [], hugepages: [], defaultHugepagesz: 0 };
  let hugepagesz = 0; // the size the next hugepages= applies to (0: the default size)
  let sizeText: { sizeText: string } | object = {}; // that hugepagesz= value as typed, for the kernel's messages
  const ignored: string[] = [];
  const absent: ParsedCmdline['absent'] = [];
  const invalid = (param: string, val: string | undefined) =>
    // kernel/params.c parse_args(): pr_err("%s: `%s' invalid for parameter `%s'\n", doing, val ?: "", param)
    cmd.messages.push({ level: KERN_ERR, site: 'kernel/params.c:parse_args', text: `Booting kernel: \`${val ?? ''}' invalid for parameter \`${param}'\n` });
  for (const tok of line.split(/\s+/).filter(Boolean)) {
    const eq = tok.indexOf('=');
    const key = eq < 0 ? tok : tok.slice(0, eq);
    const val = eq < 0 ? undefined : tok.slice(eq + 1);
    if (key === 'memhp_default_state') {
      // setup_memhp_default_state(): unknown values are ignored; v5.6 knows only online/offline
      const names = profile.memhpDefaultStateNames === 'all' ? ['offline', 'online', 'online_kernel', 'online_movable'] : ['offline', 'online'];
      if (val !== undefined && names.includes(val)) cmd.onlineType = val as KernelCmdline['onlineType'];
      else if (val === 'online_kernel' || val === 'online_movable') absent.push({ param: tok, why: `memhp_default_state=${val} does not exist in ${profile.id}: only online and offline before v5.9` });
      else ignored.push(tok);
    } else if (key === 'memory_hotplug.memmap_on_memory' && lacks.memmapOnMemory) {
      // the parameter exists only with CONFIG_MHP_MEMMAP_ON_MEMORY, which the arch must enable
      absent.push({ param: tok, why: `memory_hotplug.memmap_on_memory does not exist here: ${lacks.memmapOnMemory}` });
    } else if (key === 'memory_hotplug.memmap_on_memory' && profile.memmapOnMemory !== 'none') {
      if (profile.memmapOnMemory === 'v5.13') {
        // param_set_bool(): no value means "1"
        const b = kstrtobool(val ?? '1', profile.kstrtobool);
        if (b === null) invalid(key, val);
        else cmd.memmapOnMemory = b ? 'on' : 'off';
      } else if (val === undefined) {
        invalid(key, val); // parse_one(): -EINVAL, the ops have no KERNEL_PARAM_OPS_FL_NOARG
      } else if (val === 'force' || val === 'FORCE') {
        cmd.memmapOnMemory = 'force';
      } else {
        const b = kstrtobool(val, profile.kstrtobool);
        if (b === null) invalid(key, val);
        else cmd.memmapOnMemory = b ? 'on' : 'off';
      }
    } else if (key === 'hugetlb_free_vmemmap' && profile.hvo !== 'none') {
      // 5.15 early_param: exactly "on"/"off"; 6.1-6.12 core_param bool (no value: on);
      // 6.18+ early_param with kstrtobool (no value: -EINVAL, "Malformed early option")
      let b: boolean | null;
      if (profile.hvoParam === 'onoff') b = val === 'on' ? true : val === 'off' ? false : null;
      else if (profile.hvoParam === 'bool') b = kstrtobool(val ?? '1', profile.kstrtobool);
      else b = val === undefined ? null : kstrtobool(val, profile.kstrtobool);
      if (b !== null) cmd.hugetlbFreeVmemmap = b;
      else if (profile.hvoParam === 'bool') invalid(key, val);
      else if (profile.hvoParam === 'kstrtobool') cmd.messages.push({ level: KERN_WARNING, site: 'init/main.c:do_early_param', text: `Malformed early option '${key}'\n` });
      else ignored.push(tok);
    } else if (key === 'hugepagesz' || key === 'default_hugepagesz') {
      const sz = val === undefined ? NaN : memparse(val);
      if (key === 'hugepagesz') {
        hugepagesz = sz;
        sizeText = { sizeText: val ?? '' };
      } else {
        cmd.defaultHugepagesz = sz;
        cmd.defaultHugepageszText = val ?? '';
      }
      if (Number.isNaN(sz)) ignored.push(tok);
    } else if (key === 'hugepages' && val !== undefined) {
      if (profile.hugepagesNodeSyntax) cmd.hugepages.push(...hugepagesNodes(val, hugepagesz, tok, cmd.messages).map((r) => ({ ...r, ...sizeText })));
      else {
        // hugepages_setup() <= v5.15: sscanf(s, "%lu", mhp), 0 when there is no number
        const m = /^(\d+)/.exec(val);
        cmd.hugepages.push({ size: hugepagesz, count: m ? Number(m[1]) : 0, node: null, text: tok, ...sizeText });
      }
    } else if (key === 'memory_hotplug.memmap_on_memory') {
      absent.push({ param: tok, why: `memory_hotplug.memmap_on_memory does not exist in ${profile.id}: it arrived in v5.13 (a08a2ae34613)` });
    } else if (key === 'hugetlb_free_vmemmap') {
      absent.push({ param: tok, why: `hugetlb_free_vmemmap does not exist in ${profile.id}: it arrived in v5.14 with the HugeTLB vmemmap optimisation` });
    } else ignored.push(tok);
  }
  return { cmdline: cmd, ignored, absent };
}

/**
 * hugepages_setup() (mm/hugetlb.c, v6.1+): "N", or "node:N[,node:N...]" decided by whether the
 * first number is followed by ':'. At the first thing it cannot read it pr_warn()s "HugeTLB:
 * Invalid hugepages parameter %s" with the rest of the string from that point, and
 * hugepages_clear_pages_in_node() drops every count this parameter gave. (Its node_online()
 * check is left to boot, where the model checks the node.)
 */
function hugepagesNodes(val: string, size: number, tok: string, messages: KernelCmdline['messages']): KernelCmdline['hugepages'] {
  const out: KernelCmdline['hugepages'] = [];
  let p = val;
  const invalid = (rest: string) => {
    messages.push({ level: KERN_WARNING, site: 'mm/hugetlb.c:hugepages_setup', text: `HugeTLB: Invalid hugepages parameter ${rest}\n` });
    return [];
  };
  while (p.length > 0) {
    const a = /^\d+/.exec(p);
    if (!a) return invalid(p);
    if (p[a[0].length] !== ':') {
      // a plain count is only valid as the whole parameter's first number
      if (p !== val) return invalid(p);
      return [{ size, count: Number(a[0]), node: null, text: tok }];
    }
    const q = p.slice(a[0].length + 1);
    const b = /^\d+/.exec(q);
    if (!b) return invalid(q);
    out.push({ size, count: Number(b[0]), node: Number(a[0]), text: tok });
    const after = q.slice(b[0].length);
    if (after[0] !== ',') break;
    p = after.slice(1);
  }
  return out;
}

/** lib/cmdline.c memparse(): a number with an optional K/M/G/T/P/E suffix (binary). */
function memparse(v: string): number {
  const m = /^(0x[0-9a-fA-F]+|\d+)([kKmMgGtTpPeE]?)$/.exec(v);
  if (!m) return NaN;
  const mult: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };
  return Number(m[1]) * mult[m[2]!.toLowerCase()]!;
}

/** Replay what parse_args() printed, plus set_memmap_mode()'s force message (needs the block size). */
export function printCmdlineMessages(k: Kernel): void {
  for (const m of k.cmdline.messages) printk(k, m.level, m.site, '%s', [m.text]);
  if (k.cmdline.memmapOnMemory === 'force') {
    // set_memmap_mode() (v6.6+): pr_info_once("Memory hotplug will waste %ld pages in each memory block\n", ...)
    const exact = memoryBlockMemmapPages(k, false);
    printk(k, KERN_INFO, 'mm/memory_hotplug.c:set_memmap_mode', 'Memory hotplug will waste %ld pages in each memory block\n', [memoryBlockMemmapPages(k, true) - exact]);
  }
}

/**
 * memory_block_memmap_on_memory_pages() (v6.6+): PFN_UP(memory_block_memmap_size()),
 * pageblock-aligned in force mode.
 */
export function memoryBlockMemmapPages(k: Kernel, force = k.cmdline.memmapOnMemory === 'force'): number {
  const exact = Math.ceil(memoryBlockMemmapSize(k) / k.c.PAGE_SIZE);
  return force ? Math.ceil(exact / k.c.PAGEBLOCK_PAGES) * k.c.PAGEBLOCK_PAGES : exact;
}

/** memory_block_memmap_size(): PHYS_PFN(memory_block_size_bytes()) * sizeof(struct page). */
export function memoryBlockMemmapSize(k: Kernel): number {
  return (k.boot.memoryBlockSize / k.c.PAGE_SIZE) * k.c.STRUCT_PAGE;
}
