/**
 * Which arches have hmem (EFI soft-reserved) and CXL memory at all, and what dax_hmem /
 * dax_cxl's device does at boot where the arch lacks MEMORY_HOTPLUG or ZONE_DEVICE.
 *  - drivers/dax/Kconfig DEV_DAX_HMEM depends on EFI_SOFT_RESERVE; drivers/firmware/efi/Kconfig
 *    EFI_SOFT_RESERVE on EFI && EFI_STUB && ACPI_HMAT (5.8.1 .. 6.12 read); EFI_STUB exists only
 *    on x86, arm, arm64, riscv and loongarch; ACPI_HMAT depends on ACPI_NUMA, which riscv gets
 *    after v6.9 (drivers/acpi/numa/Kconfig 6.9: X86 || ARM64 || LOONGARCH; 6.11: all but X86).
 *  - CXL regions come from cxl_acpi (CXL_ACPI depends on ACPI): none on powerpc or s390.
 *  - drivers/dax/bus.c dax_match_type() (v6.3+): a device marked for kmem is bound by
 *    device_dax when DEV_DAX_KMEM (depends on MEMORY_HOTPLUG) is not built; device_dax's
 *    devm_memremap_pages() without ZONE_DEVICE is include/linux/memremap.h's stub:
 *    WARN_ON_ONCE(1), -ENXIO, which really_probe() only pr_debug()s.
 */
import { describe, expect, it } from 'vitest';
import { registerProfile } from '../src/kernels/index.js';
import { parseProfileFile } from '../src/kernels/profile-file.js';
import { run } from './helpers.js';

const yaml = (arch: string, kernel: string, type: string) => `arch: ${arch}
kernel: ${kernel}
nodes: [ { id: 0, memory: [ { start: 2G, size: 4G } ] } ]
devices: [ { name: d0, type: ${type}, node: 0, start: 16G, size: 2G } ]
`;
const G = 2 ** 30;
/** The memmap of a 2 GiB device with 4 KiB pages: 512 Ki struct pages x 64 B. */
const DEVICE_MEMMAP = 32 * 2 ** 20;

describe('hmem and cxl devices: refused on arches that cannot have them', () => {
  it.each([
    ['s390x', 'v6.18', 'hmem', 's390x has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE)'],
    ['s390x', 'v6.18', 'cxl', 's390x has no CXL memory (CXL regions come from ACPI CEDT)'],
    ['powerpc64', 'v6.12', 'hmem', 'powerpc64 has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE, which needs EFI_STUB: x86, arm64, riscv64 and loongarch64 only)'],
    ['powerpc64', 'v6.12', 'cxl', 'powerpc64 has no CXL memory (CXL regions come from the ACPI CEDT, and powerpc has no ACPI)'],
    ['ia64', 'v6.1', 'hmem', 'ia64 has no EFI soft-reserved memory (dax_hmem needs EFI_SOFT_RESERVE, which needs EFI_STUB: ia64 boots through elilo)'],
    ['riscv64', 'v6.6', 'hmem', 'riscv64 has no EFI soft-reserved memory in v6.6 (dax_hmem needs EFI_SOFT_RESERVE -> ACPI_HMAT -> ACPI_NUMA, which riscv64 does not have up to v6.9)'],
  ])('%s %s: %s', (arch, kernel, type, msg) => {
    expect(() => run(yaml(arch, kernel, type))).toThrow(`test.yaml:4:30: devices[0].type: ${msg}`);
  });
});

describe('dax_hmem / dax_cxl at boot without MEMORY_HOTPLUG or ZONE_DEVICE', () => {
  const bound = (r: ReturnType<typeof run>) => [...r.machine.dax.values()].map((d) => [d.name, d.driver]);
  const warned = (r: ReturnType<typeof run>) => r.report.dmesg.filter((l) => l.startsWith('WARNING'));
  const mapped = (arch: string, kernel: string) => run(`arch: ${arch}\nkernel: ${kernel}\nnodes: [ { id: 0, memory: [ { start: 2G, size: 4G } ] } ]\n`).report.vmemmap.mappedBytes;

  it('riscv64 v6.6, a CXL region: kmem is not built, device_dax binds and devm_memremap_pages() is the stub', () => {
    const r = run(yaml('riscv64', 'v6.6', 'cxl'));
    expect(warned(r)).toEqual(['WARNING: at include/linux/memremap.h devm_memremap_pages']);
    expect(bound(r)).toEqual([['dax0.0', null]]);
    // nothing of the device is mapped: the boot memmap only
    expect(r.report.vmemmap.mappedBytes).toBe(mapped('riscv64', 'v6.6'));
    expect(r.report.memory.blocks ?? []).not.toContainEqual(expect.objectContaining({ start: 16 * G }));
  });

  it('riscv64 v6.12 (hot-plug and ZONE_DEVICE from v6.11): hmem is kmem\'s, its memmap mapped', () => {
    const r = run(yaml('riscv64', 'v6.12', 'hmem'));
    expect(warned(r)).toEqual([]);
    expect(bound(r)).toEqual([['dax0.0', 'kmem']]);
    expect(r.report.vmemmap.mappedBytes).toBe(mapped('riscv64', 'v6.12') + DEVICE_MEMMAP);
  });

  it('loongarch64 v6.6 (hot-plug, no ZONE_DEVICE before v6.11): kmem binds; with device_dax asked for (a profile file), the stub', () => {
    expect(bound(run(yaml('loongarch64', 'v6.6', 'hmem')))).toEqual([['dax0.0', 'kmem']]);
    registerProfile(parseProfileFile('p.yaml', 'id: v6.6-hmem-devdax\nbase: v6.6\nswitches:\n  hmemKmemDefault: "false"\n'));
    const r = run(yaml('loongarch64', 'v6.6-hmem-devdax', 'hmem'));
    expect(warned(r)).toEqual(['WARNING: at include/linux/memremap.h devm_memremap_pages']);
    expect(bound(r)).toEqual([['dax0.0', null]]);
    // on x86 the same profile's device_dax maps the device's memmap
    const x = run(yaml('x86_64', 'v6.6-hmem-devdax', 'hmem'));
    expect(warned(x)).toEqual([]);
    expect(bound(x)).toEqual([['dax0.0', 'device_dax']]);
  });

  it('WARN_ON_ONCE: a second device without ZONE_DEVICE warns no more', () => {
    const r = run(`arch: riscv64
kernel: v6.6
nodes: [ { id: 0, memory: [ { start: 2G, size: 4G } ] } ]
devices: [ { name: c0, type: cxl, node: 0, start: 16G, size: 2G }, { name: c1, type: cxl, node: 0, start: 32G, size: 2G } ]
`);
    expect(warned(r)).toHaveLength(1);
    expect(bound(r)).toEqual([['dax0.0', null], ['dax1.0', null]]);
  });
});
