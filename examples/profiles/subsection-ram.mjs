// A proposal of our own, as a profile module: arm64 4K maps the memmap of a sub-section range
// (a device that ends inside a section) with base pages from RAM, as x86 has done since v5.4,
// instead of PMD blocks from the device's altmap - so a 1040 MiB fsdax --map=dev namespace,
// which v6.12 refuses with -ENOMEM (a real Debian 6.12 kernel did), comes up with 256 KiB of
// its memmap in RAM. docs/model-a-patch.md walks through it.
export default {
  id: 'v6.12-subsection-ram',
  title: 'v6.12, arm64 sub-section memmap from RAM (a proposal)',
  base: 'v6.12',
  policies: {
    // c: { arch, ops, range, node, altmap, base } - ops are the generic helpers of
    // mm/sparse-vmemmap.c (basepages, hugepages, ...), base() runs the built-in policy
    vmemmap_populate(c) {
      const sectionMemmap = 2 ** (c.arch.SECTION_SIZE_BITS - c.arch.PAGE_SHIFT) * c.arch.STRUCT_PAGE_SIZE;
      if (c.arch.arch === 'arm64' && c.range.callBytes < sectionMemmap) {
        c.ops.decide(c.range, 'basepages', 'a sub-section range: base pages from RAM, the altmap ignored (the proposal)');
        return c.ops.basepages(c.range.start, c.range.end, c.node, null);
      }
      return c.base();
    },
  },
};
