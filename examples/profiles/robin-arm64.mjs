// Robin Murphy's "arm64/mm: Consolidate vmemmap_populate()" sketch (LKML, 2020-03-20; see
// docs/thread.md section 3), written as a user would write it: a profile module over v5.6 with
// the arm64 hot-remove series underneath (which makes ZONE_DEVICE available), replacing the
// arm64 vmemmap_populate() policy. vmemmap-lab ships the same proposal as the built-in profile
// robin-arm64; test/profile-module.test.ts checks that both give the same results.
//
//   vmemlab compare examples/pmem-arm64-64k.yaml --kernel v5.6,./examples/profiles/robin-arm64.mjs
export default {
  id: 'robin-arm64-module',
  title: "Robin Murphy's arm64 vmemmap_populate() consolidation, as a profile module",
  base: 'v5.6',
  switches: { arm64HotRemove: true, arm64ZoneDevice: true, arm64BootmemNotifier: 'silent' },
  policies: {
    // One loop for every granule, stepping by PMD size. 4K keeps its PMD blocks from RAM (the
    // altmap is not used anywhere in the sketch); 16K/64K allocate the page tables down to a
    // PTE table and map one base page at each step's start (ops.onePagePerPmd). The sketch's
    // loop restarts at every call, so it runs once per section's call.
    vmemmap_populate({ arch, ops, range, node, base }) {
      if (arch.arch !== 'arm64') return base(); // x86 is untouched
      if (arch.PAGE_SIZE === 4096) {
        ops.decide(range, 'hugepages', '4K pages: PMD-sized blocks, the altmap ignored (the sketch)');
        return ops.hugepages(range.start, range.end, node, null);
      }
      ops.decide(range, 'one-page-per-pmd', `${arch.PAGE_SIZE / 1024}K pages: tables and one base page per PMD step (the sketch)`);
      for (let s = range.start; s < range.end; s += range.callBytes) {
        const e = ops.onePagePerPmd(s, Math.min(range.end, s + range.callBytes), node);
        if (e !== 0) return e;
      }
      return 0;
    },
  },
};
