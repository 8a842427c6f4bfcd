/** Scenario -> QEMU machine and guest script (no QEMU is started). */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../conformance/cases.js';
import { planScenario, stepsScript } from '../../conformance/plan.js';
import { cpioNewc, kernelCmdline, qemuArgs } from '../../conformance/qemu.js';
import { kernelFiles, selfBuiltMissing } from '../../conformance/kernels.js';
import { ensureSetup } from '../../conformance/runner.js';
import { parseResults, parseVmemdump } from '../../conformance/results.js';

const text = (name: string) => loadCases().find((c) => c.name === name)!.scenarioText;

describe('conformance plan', () => {
  it('x86: RAM, NVDIMM placement, CPU, command line', () => {
    const p = planScenario(text('x86-612-fsdax-dev'));
    expect(p.kernel.id).toBe('x86-6.12');
    const a = qemuArgs(p, { image: 'vmlinuz', initrd: 'initrd', runDir: '/r' });
    expect(a[0]).toBe('qemu-system-x86_64');
    expect(a).toContain('2048M,slots=8,maxmem=64G');
    expect(a).toContain('nvdimm,id=nvdimm0,memdev=nvmem0,addr=0x100000000');
    expect(a[a.indexOf('-cpu') + 1]).toBe('qemu64');
    expect(kernelCmdline(p)).toMatch(/nokaslr memhp_default_state=offline$/);
    expect(stepsScript(p)).toContain('cmd ndctl create-namespace -f -e namespace0.0 -m fsdax --map=dev');
    expect(planScenario(text('x86-612-la57')).cpu).toBe('max');
  });
  it('hmem: soft-reserved RAM through memmap=, -m covers it, no NVDIMM', () => {
    const p = planScenario(text('x86-612-hmem'));
    const a = qemuArgs(p, { image: 'vmlinuz', initrd: 'initrd', runDir: '/r' });
    expect(a).toContain('3072M,slots=8,maxmem=64G');
    expect(a.some((x) => x.startsWith('nvdimm'))).toBe(false);
    expect(kernelCmdline(p)).toContain('memmap=0x20000000%0x80000000+0xefffffff');
    expect(stepsScript(p)).toContain('cmd daxctl reconfigure-device --mode=devdax -f dax0.0');
    const arm = text('arm64-4k-boot').replace(/devices:\n/, 'devices:\n  - { name: h, type: hmem, node: 0, start: 0x200000000, size: 256M }\n');
    expect(() => planScenario(arm)).toThrow(/x86 only/);
  });
  it('DIMMs, kmem and the chain become guest requests and commands', () => {
    const d = stepsScript(planScenario(text('x86-612-dimm')));
    expect(d).toContain('hotplug 1 1073741824 0 0x200000000');
    expect(d).toContain('unplug 2 0x240000000');
    const k = stepsScript(planScenario(text('x86-612-kmem-mom')));
    expect(k).toContain("sh_cmd 'echo 1 > /sys/bus/dax/devices/dax0.0/memmap_on_memory'");
    expect(k).toContain('cmd daxctl reconfigure-device --mode=system-ram dax0.0');
    const back = stepsScript(planScenario(text('x86-612-kmem-back')));
    expect(back).toContain('cmd daxctl reconfigure-device --mode=devdax dax0.0');
    expect(back).toContain('cmd daxctl reconfigure-device --mode=devdax -f dax0.0');
    const c = stepsScript(planScenario(text('x86-612-chain')));
    expect(c.match(/ndctl destroy-namespace -f namespace0.0/g)).toHaveLength(4);
  });
  it('arm64: virt machine with edk2, RAM from 1 GiB (the EFI flash in memblock is not -m)', () => {
    const p = planScenario(text('arm64-16k-kmem'));
    expect(p.kernel.id).toBe('arm64-6.12-16k');
    const a = qemuArgs(p, { image: 'Image', initrd: 'initrd', runDir: '/r' });
    expect(a[0]).toBe('qemu-system-aarch64');
    expect(a).toContain('2048M,slots=8,maxmem=64G');
    expect(a).toContain('/usr/share/qemu-efi-aarch64/QEMU_EFI.fd');
  });
  it('labelled NVDIMM: label-size, the label area after the region, init-labels at boot, several namespaces', () => {
    const p = planScenario(text('arm64-64k-shared-16m-reverse'));
    expect(p.kernel.id).toBe('arm64-6.12-64k');
    expect(p.devices[0]).toMatchObject({ labels: true, size: 256 * 2 ** 20 });
    const a = qemuArgs(p, { image: 'Image', initrd: 'initrd', runDir: '/r' });
    // the backing file is the 256 MiB region plus the 128 KiB label area (268566528 bytes)
    expect(a).toContain('memory-backend-file,id=nvmem0,share=on,mem-path=/r/nvdimm0.img,size=268566528');
    expect(a).toContain('nvdimm,id=nvdimm0,memdev=nvmem0,addr=0xc0000000,label-size=131072');
    const s = stepsScript(p);
    // boot: a fresh label area has no index block; the region must be disabled to write one
    expect(s).toMatch(/step 1 boot 'boot'\ncmd ndctl disable-region region0\ncmd ndctl init-labels -f nmem0\ncmd ndctl enable-region region0\n/);
    // namespaces are created in the region's seed (no -f -e), with their size in bytes
    expect(s).toContain('cmd ndctl create-namespace -r region0 -m fsdax --map=dev --align=64K --size=50331648');
    expect(s).toContain('cmd ndctl create-namespace -r region0 -m fsdax --map=dev --align=64K --size=16777216');
    expect(s.indexOf('destroy-namespace -f namespace0.1')).toBeLessThan(s.indexOf('destroy-namespace -f namespace0.0'));
    // destroy without a name: the last namespace created on the device, then the one before
    const dflt = text('arm64-64k-shared-16m').replace(/destroy-namespace: \{ device: nvdimm0, namespace: namespace0.\d \}/g, 'destroy-namespace: { device: nvdimm0 }');
    const d = stepsScript(planScenario(dflt));
    expect(d.indexOf('destroy-namespace -f namespace0.1')).toBeGreaterThan(0);
    expect(d.indexOf('destroy-namespace -f namespace0.1')).toBeLessThan(d.indexOf('destroy-namespace -f namespace0.0'));
    // after a destroy, a later create's name is not known: a default destroy then is refused
    const again = dflt.trimEnd() + '\n  - create-namespace: { device: nvdimm0, mode: fsdax, map: dev, size: 16M, align: 64K }\n  - destroy-namespace: { device: nvdimm0 }\n';
    expect(() => planScenario(again)).toThrow(/name the namespace/);
    // label-less devices keep the reconfigure-in-place form and no label area
    const x = planScenario(text('x86-612-fsdax-dev'));
    expect(qemuArgs(x, { image: 'v', initrd: 'i', runDir: '/r' }).find((v) => v.startsWith('nvdimm,'))).not.toContain('label-size');
    expect(stepsScript(x)).not.toContain('init-labels');
  });
  it('the self-built 64K kernel: found by page size, its image configurable, a clear message when absent', () => {
    const p = planScenario(text('arm64-64k-boot'));
    expect(p.kernel).toMatchObject({ id: 'arm64-6.12-64k', pageSize: '64K', kver: '6.12.118', release: '6.12.118' });
    expect(p.kernel.selfBuilt?.recipe).toBe('conformance/arm64-64k/build-kernel.sh');
    const old = process.env.VMEMLAB_ARM64_64K_IMAGE;
    try {
      process.env.VMEMLAB_ARM64_64K_IMAGE = '/nonexistent/Image';
      expect(kernelFiles(p.kernel)).toEqual({ image: '/nonexistent/Image', modulesRoot: '/nonexistent', config: '/nonexistent/config' });
      expect(selfBuiltMissing(p.kernel)).toMatch(/self-built .*\/nonexistent\/Image.*build-kernel\.sh.*VMEMLAB_ARM64_64K_IMAGE/);
      expect(() => ensureSetup(p.kernel, () => {})).toThrow(/self-built/);
    } finally {
      if (old === undefined) delete process.env.VMEMLAB_ARM64_64K_IMAGE;
      else process.env.VMEMLAB_ARM64_64K_IMAGE = old;
    }
    // Debian kernels are not self-built
    expect(selfBuiltMissing(planScenario(text('arm64-16k-boot')).kernel)).toBeNull();
  });
  it('x86 devices above 1 TiB: phys-bits=52 (TCG gives 40 otherwise) and maxmem up to the device end', () => {
    const p = planScenario(text('x86-612-la57-high'));
    expect(p.cpu).toBe('max,phys-bits=52');
    // 0x800000000000 + 4 GiB = 131076 GiB; the pc machine's device region starts at 4 GiB and is
    // maxmem - RAM + 8 x 1 GiB long, so maxmem = the device end covers it
    expect(qemuArgs(p, { image: 'v', initrd: 'i', runDir: '/r' })).toContain('2048M,slots=8,maxmem=131076G');
    expect(planScenario(text('x86-612-l4-high')).cpu).toBe('qemu64,pdpe1gb=on,phys-bits=52');
    // below 64 GiB nothing changes
    const low = planScenario(text('x86-612-la57'));
    expect(low.cpu).toBe('max');
    expect(qemuArgs(low, { image: 'v', initrd: 'i', runDir: '/r' })).toContain('2048M,slots=8,maxmem=64G');
  });
  it('refuses what QEMU cannot express, with the reason', () => {
    const base = text('x86-612-boot');
    expect(() => planScenario(base.replace('cmdline: memhp_default_state=offline', 'cmdline: ""'))).toThrow(/memhp_default_state/);
    expect(() => planScenario(base + '  - hot-remove: { start: 8G, size: 1G }\n')).toThrow(/whole pc-dimms/);
    expect(() => planScenario(text('arm64-4k-boot') + '  - hot-add: { node: 0, start: 8G, size: 1G }\n')).toThrow(/ACPI_HOTPLUG_MEMORY/);
    expect(() => planScenario(base + 'faults: [ { alloc: buddy, nth: 1 } ]\n')).toThrow(/injected/);
  });
  it('newc cpio and the results/vmemdump parsers', () => {
    const c = cpioNewc([{ name: 'steps.sh', data: Buffer.from('x\n') }]);
    expect(c.subarray(0, 6).toString()).toBe('070701');
    expect(c.length % 4).toBe(0);
    const r = parseResults('@@READY\n########## STEP 1 boot t=1.0 label=boot\n===== BEGIN 1-boot cmd true =====\nelapsed: 1 -> 2\n===== END 1-boot cmd true (rc=0) =====\n########## END SNAPSHOT 1-boot t=2 step_rc=0\n@@DONE\n');
    expect(r.done && r.ready).toBe(true);
    expect(r.steps[0]!.sections[0]).toMatchObject({ name: 'cmd true', rc: 0 });
    const v = parseVmemdump('INFO region=0x1-0x2 pfn0_va=0xffffea0000000000 struct_page=64 page_size=4096 names=PGD,PUD,PMD,PTE\nRUN 0xffffea0004000000-0xffffea0004007fff PTE n=8 size=32K pa=0x5000-0x5fff (SAME PAGE x8) RW GLB NX off=0x4000000 pfn=0x100000-0x1001ff\nSUMMARY PMD: tables_visited=1 shared=0 leaves=0 mapped=0K\n');
    expect(v.runs[0]).toMatchObject({ level: 'pte', n: 8, same: true, off: 0x4000000 });
    expect(v.levels).toEqual(['pgd', 'pud', 'pmd', 'pte']);
  });
});
