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
import type { KernelProfile } from '../kernels/types.js';
import { KERN_ERR, KERN_INFO, printk } from './printk.js';
import type { Kernel, KernelCmdline } from './state.js';

/**
 * lib/kstrtox.c kstrtobool(): y/Y/1, n/N/0, on/off (only the first two characters count:
 * "force" is false where t/T/f/F are accepted, 6.1+); else -EINVAL.
 */
export function kstrtobool(s: string, trueFalse = true): boolean | null {
  const c = s[0];
  if (c === undefined) return null;
  if ((trueFalse ? 'yYtT1' : 'yY1').includes(c)) return true;
  if ((trueFalse ? 'nNfF0' : 'nN0').includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return null;
}

export interface ParsedCmdline {
  cmdline: KernelCmdline;
  ignored: string[];
}

/** parse_args() over the scenario's command line for `profile`. */
export function parseCmdline(profile: KernelProfile, line: string): ParsedCmdline {
  const cmd: KernelCmdline = { onlineType: profile.defaultOnlineType, memmapOnMemory: 'off', hugetlbFreeVmemmap: false, messages: [] };
  const ignored: string[] = [];
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
      else ignored.push(tok);
    } else if (key === 'memory_hotplug.memmap_on_memory' && profile.memmapOnMemory !== 'none') {
      if (profile.memmapOnMemory === 'v5.13') {
        // param_set_bool(): no value means "1"
        const b = kstrtobool(val ?? '1', profile.kstrtoboolTrueFalse);
        if (b === null) invalid(key, val);
        else cmd.memmapOnMemory = b ? 'on' : 'off';
      } else if (val === undefined) {
        invalid(key, val); // parse_one(): -EINVAL, the ops have no KERNEL_PARAM_OPS_FL_NOARG
      } else if (val === 'force' || val === 'FORCE') {
        cmd.memmapOnMemory = 'force';
      } else {
        const b = kstrtobool(val, profile.kstrtoboolTrueFalse);
        if (b === null) invalid(key, val);
        else cmd.memmapOnMemory = b ? 'on' : 'off';
      }
    } else if (key === 'hugetlb_free_vmemmap') {
      // hugetlb_vmemmap_early_param(): kstrtobool(); a bad or missing value is -EINVAL
      const b = val === undefined ? null : kstrtobool(val, profile.kstrtoboolTrueFalse);
      if (b !== null) cmd.hugetlbFreeVmemmap = b;
      else ignored.push(tok);
    } else ignored.push(tok);
  }
  return { cmdline: cmd, ignored };
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
