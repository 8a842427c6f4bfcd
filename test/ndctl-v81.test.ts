/**
 * The user-space front end against ndctl/daxctl v81's own checks (docs/research/ndctl-v81-audit.md:
 * ndctl/namespace.c validate_namespace_options(), setup_namespace(), namespace_destroy();
 * ndctl/lib/libndctl.c ndctl_namespace_disable_safe(); daxctl/device.c). Messages are what
 * ndctl prints: error() lines start "  Error: ", err() adds "create namespace: " and then no
 * final "failed to create namespace: <strerror>" line; a label-less region is driven with
 * -f -e, so its final line says "reconfigure".
 */
import { describe, expect, it } from 'vitest';
import { run, stepOf } from './helpers.js';

const box = (devices: string, steps: string, kernel = 'v6.18') => `
arch: x86_64
kernel: ${kernel}
nodes:
  - { id: 0, memory: [ { start: 0, size: 4G } ] }
devices:
${devices}
steps:
  - boot
${steps}`;
const LABELLED = '  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 4G, labels: true }';
const LABEL_LESS = '  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 4G, labels: false }';

describe('ndctl create-namespace (v81)', () => {
  it('--map with raw mode: refused when the scenario is read, in ndctl words (ndctl: usage, exit 129)', () => {
    expect(() => run(box(LABELLED, '  - create-namespace: { device: pmem0, mode: raw, map: mem }'))).toThrow('map applies to fsdax and devdax namespaces only (ndctl: --map only valid for an devdax mode pmem namespace)');
  });

  it('raw with --align, an unsupported align, too small: error() lines then the final strerror line', () => {
    const r = run(box(LABELLED, `  - create-namespace: { device: pmem0, mode: raw, align: 2M, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, align: 64K, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, size: 8M }`));
    expect(stepOf(r, 2).messages).toEqual(['  Error: raw mode does not support setting an alignment', 'failed to create namespace: No such device or address']);
    expect(stepOf(r, 3).messages).toEqual(['  Error: unsupported align: 64K', 'failed to create namespace: No such device or address']);
    // 8 MiB: below the region's 16 MiB align attribute first (an err(): no final line)
    expect(stepOf(r, 4).messages).toEqual(['  Error: create namespace: region0: align setting is 0x1000000 size 0x800000 is misaligned']);
  });

  it('a label-less region cannot be sub-divided, and its final line says "reconfigure" (-f -e)', () => {
    const r = run(box(LABEL_LESS, '  - create-namespace: { device: pmem0, mode: fsdax, size: 1G }'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL', messages: ['  Error: Legacy / label-less namespaces do not support sub-dividing a region', '  Error: Retry without -s/--size=', 'failed to reconfigure namespace: Invalid argument'] });
  });

  it('check_dax_align(): a namespace that starts off a 16 MiB boundary is refused unless -f', () => {
    // a labelled region at 8 GiB + 8 MiB: its first namespace starts there
    const dev = '  - { name: pmem0, type: nvdimm, node: 0, start: 0x200800000, size: 4G, labels: true }';
    const r = run(box(dev, `  - create-namespace: { device: pmem0, mode: fsdax, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, size: 1G, force: true }`));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL', messages: ['  Error: namespace0.0 misaligned to 16M, adjust region alignment and retry', 'failed to create namespace: Invalid argument'] });
    // -f skips the check; the kernel's own start check (memremap_compat_align, 2 MiB) passes
    expect(stepOf(r, 3).ok).toBe(true);
  });

  it('without ZONE_DEVICE: --align in fsdax mode is its own error (ia64)', () => {
    const r = run(box(LABELLED, '  - create-namespace: { device: pmem0, mode: fsdax, align: 16K, size: 1G }', 'v6.6').replace('arch: x86_64', 'arch: ia64'));
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'ENXIO', messages: ['  Error: Kernel does not support setting an alignment in fsdax mode', 'failed to create namespace: No such device or address'] });
  });
});

describe('ndctl create-namespace (v81): option and size checks', () => {
  it('--align must be a power of two of at least a page: the usage follows (exit 129)', () => {
    const r = run(box(LABELLED, `  - create-namespace: { device: pmem0, mode: fsdax, align: 3M }
  - create-namespace: { device: pmem0, mode: fsdax, align: 2K }`));
    for (const i of [2, 3]) expect(stepOf(r, i)).toMatchObject({ ok: false, errno: 'EINVAL', messages: ['  Error: align must be a power-of-2 greater than 4096', ' usage: ndctl create-namespace [<options>]'] });
  });

  it('a region below 16 MiB: a defaulted size on a labelled region finds no space; on a label-less one it is too small', () => {
    const small = (labels: boolean) => `  - { name: pmem0, type: nvdimm, node: 0, start: 8G, size: 8M, labels: ${labels} }`;
    const labelled = run(box(small(true), '  - create-namespace: { device: pmem0, mode: fsdax }'));
    expect(stepOf(labelled, 2)).toMatchObject({ ok: false, errno: 'ENOSPC', messages: ['failed to create namespace: No space left on device'] });
    const bare = run(box(small(false), '  - create-namespace: { device: pmem0, mode: devdax }'));
    expect(stepOf(bare, 2)).toMatchObject({ ok: false, errno: 'EINVAL', messages: ["  Error: '--size=' must be >= 16MiB for 'devdax' mode", 'failed to reconfigure namespace: Invalid argument'] });
  });

  it('the kernel refuses a namespace start off memremap_compat_align(): nd_pfn_init\'s line under the pfn device, then ndctl\'s', () => {
    const dev = '  - { name: pmem0, type: nvdimm, node: 0, start: 0x200100000, size: 1G, labels: false }';
    const r = run(box(dev, '  - create-namespace: { device: pmem0, mode: fsdax, map: dev }'));
    expect(stepOf(r, 2).messages).toEqual(['libndctl: ndctl_pfn_enable: pfn0.0: failed to enable', '  Error: namespace0.0: failed to enable', 'failed to reconfigure namespace: No such device or address']);
    expect(stepOf(r, 2).dmesg.map((d) => d.text)).toEqual(['nd_pmem pfn0.0: namespace0.0: start 0x0000000200100000 misaligned to 0x200000\n', 'nd_pmem pfn0.0: probe with driver nd_pmem failed with error -22\n']);
  });
});

describe('ndctl destroy-namespace (v81)', () => {
  it('says what it destroyed; without -f an enabled namespace is refused', () => {
    const r = run(box(LABELLED, `  - create-namespace: { device: pmem0, mode: fsdax, size: 1G }
  - destroy-namespace: { device: pmem0, force: false }
  - destroy-namespace: { device: pmem0 }`));
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EBUSY', messages: ['  Error: namespace0.0 is active, specify --force for re-configuration', 'error destroying namespaces: Device or resource busy', 'destroyed 0 namespaces'] });
    expect(stepOf(r, 4)).toMatchObject({ ok: true, messages: ['destroyed 1 namespace'] });
  });
});

describe('daxctl reconfigure-device (v81)', () => {
  it('--no-online with --mode=devdax is an option error', () => {
    const r = run(box(LABELLED, `  - create-namespace: { device: pmem0, mode: devdax, size: 1G }
  - reconfigure-device: { device: pmem0, mode: devdax, online: none }`));
    expect(stepOf(r, 3)).toMatchObject({ ok: false, errno: 'EINVAL', messages: ['--no-online is incompatible with --mode=devdax', ' usage: daxctl reconfigure-device <dax0.0> [<dax1.0>...<daxY.Z>] [<options>]'] });
  });
});

describe('pfn/dax seed devices and a region above MAX_PHYSMEM_BITS', () => {
  // drivers/nvdimm/bus.c nvdimm_bus_probe(): nd_region_advance_seeds() only after a probe that
  // returned 0 (or -EOPNOTSUPP); the new seed gets the lowest free id, and a destroyed
  // namespace's claiming device is unregistered. Recorded on Debian 6.12.117 (x86-612-chain's
  // nd sysfs: holder pfn0.0, then pfn0.1; dax0.0, then dax0.1).
  const HIGH = '  - { name: pmem0, type: nvdimm, node: 0, start: 0x800000000000, size: 4G, labels: false }';
  it('a failed probe leaves the seed: both failed enables name pfn0.0 (x86 4-level, NVDIMM at 128 TiB)', () => {
    // MAX_PHYSMEM_BITS 46 on 4-level x86: the region (firmware's) registers, mhp_range_allowed()
    // refuses [0x800000000000, +4G) in memremap_pages(): -EINVAL, pr_warn with the pluggable
    // range [0, 2^46 - 1]; the same lines the recording x86-612-l4-high holds
    const r = run(box(HIGH, `  - create-namespace: { device: pmem0, mode: fsdax, map: dev }
  - destroy-namespace: { device: pmem0 }
  - create-namespace: { device: pmem0, mode: fsdax, map: mem }`, 'v6.12'));
    const failed = ['libndctl: ndctl_pfn_enable: pfn0.0: failed to enable', '  Error: namespace0.0: failed to enable', 'failed to reconfigure namespace: No such device or address'];
    expect(stepOf(r, 2)).toMatchObject({ ok: false, errno: 'EINVAL', messages: failed });
    expect(stepOf(r, 2).dmesg.map((l) => l.text.trim())).toContain('Hotplug memory [0x800000000000-0x800100000000] exceeds maximum addressable range [0x0-0x3fffffffffff]');
    // ndctl namespace_destroy(): a label-less (io) namespace is disabled and left, return 0
    expect(stepOf(r, 3)).toMatchObject({ ok: true, messages: ['destroyed 1 namespace'] });
    expect(stepOf(r, 4)).toMatchObject({ ok: false, errno: 'EINVAL', messages: failed });
  });
  it('the seeds advance after a successful probe, separately for pfn and dax, to the lowest free id', () => {
    // a labelled 4 GiB region straddling 64 TiB (4-level: MAX_PHYSMEM_BITS 46): namespaces below
    // 2^46 probe fine, one at 2^46 fails in mhp_range_allowed()
    const r = run(box('  - { name: pmem0, type: nvdimm, node: 0, start: 0x3fff80000000, size: 4G, labels: true }', `  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - destroy-namespace: { device: pmem0, namespace: namespace0.0 }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - create-namespace: { device: pmem0, mode: fsdax, map: dev, size: 1G }
  - create-namespace: { device: pmem0, mode: devdax, map: dev, size: 1G }`, 'v6.12'));
    // pfn0.0 claims namespace0.0 (seed -> pfn0.1), pfn0.1 claims namespace0.1 (seed -> pfn0.2);
    // destroying namespace0.0 unregisters pfn0.0; the next namespace (back in the freed first
    // GiB) takes pfn0.2 and the new seed is the lowest free id, pfn0.0
    expect([2, 3, 4, 5].map((i) => stepOf(r, i).ok)).toEqual([true, true, true, true]);
    // the fourth GiB starts at 2^46: its probe fails and names the pfn seed pfn0.0; the devdax
    // one after it names the dax seed, untouched so far: dax0.0
    expect(stepOf(r, 6)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 6).messages[0]).toBe('libndctl: ndctl_pfn_enable: pfn0.0: failed to enable');
    expect(stepOf(r, 7)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(stepOf(r, 7).messages[0]).toBe('libndctl: ndctl_dax_enable: dax0.0: failed to enable');
    expect(stepOf(r, 6).dmesg.map((l) => l.text.trim())).toContain('Hotplug memory [0x400000000000-0x400040000000] exceeds maximum addressable range [0x0-0x3fffffffffff]');
  });
});
