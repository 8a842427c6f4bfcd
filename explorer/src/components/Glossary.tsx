/** The words people confuse, side by side. */
const TERMS: [string, string][] = [
  ['memmap (the array)', 'The array of struct page, one per page frame (64 bytes each here): 1/64 of the memory it describes with 4 KiB pages. With SPARSEMEM_VMEMMAP it is virtually contiguous at the vmemmap address and mapped piece by piece as memory appears.'],
  ['memmap= (the boot parameter)', 'A kernel command-line option that marks physical ranges as reserved or as emulated persistent memory (memmap=4G!12G). It has nothing to do with where struct pages live.'],
  ['vmemmap', 'The virtual address window where the memmap is mapped; struct page of pfn N sits at vmemmap + N. The second map shows which parts are mapped and what physical pages back them.'],
  ['section', 'The granule of SPARSEMEM (128 MiB on x86_64, riscv64 and arm64 4K/16K pages, 512 MiB on arm64 64K pages and loongarch64): present or not, each with its own slice of memmap. Sections are kernel bookkeeping, not visible in sysfs.'],
  ['sub-section', '2 MiB: the granule at which device memory (ZONE_DEVICE) may start and end inside a section; subsection_map records which are active.'],
  ['memory block', 'The unit of memory hotplug in sysfs (/sys/devices/system/memory/memoryN): one or more sections, onlined and offlined as a whole, with a state and a zone.'],
  ['altmap', 'struct vmem_altmap: a range of device pages set aside so that the device\'s own memmap is allocated from the device (--map=dev) instead of RAM.'],
  ['altmap reserve', 'Pages at the start of the altmap never handed out for the memmap: the namespace\'s info block (and padding).'],
  ['altmap free / alloc / align', 'free: pages available for the memmap; alloc: pages the memmap actually took; align: pages skipped so that PMD-sized blocks start aligned (waste).'],
  ['--map=dev vs --map=mem', 'Where an fsdax/devdax namespace\'s memmap lives: on the device (less usable capacity, no RAM cost) or in RAM (full capacity, RAM cost of 1/64).'],
  ['info block', 'The pfn superblock at the start of a namespace (8 KiB on x86_64) recording its mode, data offset and alignment.'],
  ['data offset', 'Where the usable data of a namespace starts: after the info block, the reserved memmap space and alignment.'],
  ['memmap_on_memory', 'Hot-added memory holds its own memmap in its first pages (self-hosted), instead of taking RAM from existing nodes.'],
  ['PMD leaf vs PTE leaf', 'The vmemmap is mapped with 2 MiB pages (PMD leaves) when it can get 2 MiB blocks, else 4 KiB pages (PTE leaves) with PTE tables to hold them.'],
  ['HVO', 'HugeTLB vmemmap optimisation: the memmap of a huge page is mostly identical tail struct pages, so the kernel remaps them to one page and frees the rest, splitting vmemmap PMDs into PTEs.'],
  ['dedup (device-dax)', 'Device-dax with compound pages shares tail struct-page pages in the same way, from the start.'],
  ['node', 'A NUMA node: memory and devices attached to one socket; the memmap of a node\'s memory is preferably allocated on that node.'],
];

export function Glossary() {
  return (
    <section class="glossary" aria-labelledby="gl-title" data-testid="glossary">
      <h2 id="gl-title">Glossary</h2>
      <dl>{TERMS.map(([t, d]) => <div key={t}><dt>{t}</dt><dd>{d}</dd></div>)}</dl>
    </section>
  );
}
