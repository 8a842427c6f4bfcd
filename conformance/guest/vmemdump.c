/*
 * vmemdump - print how the kernel maps its vmemmap (the struct page array), read from the live
 * page tables through /proc/kcore. Part of the vmemmap-lab conformance harness; runs inside the
 * guest as root, built static.
 *
 *   vmemdump [-a] [-v] [-V va_bits] [-M va_bits_min] [-B pfn0_va]
 *     -a  print every run (default: stop after 300 RUN lines)
 *     -v  print every leaf entry (LEAF lines) as well
 *     -V  arm64: CONFIG_ARM64_VA_BITS of the kernel (default 48); fixes the vmemmap region
 *     -M  arm64: VA_BITS_MIN (default: 48 for 4K/64K and 47 for 16K when -V > 48, else -V)
 *     -B  override the VA of pfn 0's struct page (the "vmemmap" pointer)
 *
 * Sources: /proc/kallsyms for symbol addresses (x86: init_top_pgt, page_offset_base,
 * vmemmap_base, vmalloc_base, __pgtable_l5_enabled, max_pfn; arm64: swapper_pg_dir,
 * memstart_addr, max_pfn), /proc/kcore (ELF core: PT_LOAD segments with virtual and, for
 * RAM and kernel text, physical addresses) for memory.
 *
 * Output (one record per line):
 *   INFO ...                       what was found (levels, bases, geometry)
 *   RUN <va>-<va_last> <LVL> n=<leaves> size=<KiB>K pa=<pa>-<pa_last> [SAME PAGE xN] <flags> off=<va-pfn0_va> pfn=<first>-<last>
 *      consecutive leaves at one level with equal flags whose physical addresses are either
 *      contiguous or all the same page ("SAME PAGE xN": N leaves map one physical page)
 *   LEAF ...                       (-v) one line per leaf entry
 *   SUMMARY runs=.. pte_leaves=.. distinct_pte_target_pages=.. (..K) pmd_leaves=.. pud_leaves=.. => ...
 *   SUMMARY <LVL>: tables_visited=.. shared=.. leaves=.. mapped=..K
 *      tables_visited counts the page-table pages of that level below the top table that map
 *      part of the vmemmap region; "shared" of them also map something outside the region.
 *   ERROR ...                      anything that stopped or invalidated the walk (exit 1)
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t u64;

static int kfd = -1;
static Elf64_Phdr *phdrs;
static int nphdrs;
static int page_shift = 12;
static u64 page_size = 4096;

static void die(const char *fmt, const char *arg)
{
	printf("ERROR ");
	printf(fmt, arg);
	printf("\n");
	fflush(stdout);
	exit(1);
}

/* ---- /proc/kcore ----------------------------------------------------------------------- */

static void kcore_open(void)
{
	Elf64_Ehdr eh;
	kfd = open("/proc/kcore", O_RDONLY);
	if (kfd < 0)
		die("cannot open /proc/kcore: %s", strerror(errno));
	if (pread(kfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		die("%s is not a 64-bit ELF core", "/proc/kcore");
	nphdrs = eh.e_phnum;
	phdrs = calloc(nphdrs, sizeof(*phdrs));
	if (!phdrs || pread(kfd, phdrs, nphdrs * sizeof(*phdrs), eh.e_phoff) != (ssize_t)(nphdrs * sizeof(*phdrs)))
		die("cannot read the kcore program headers%s", "");
}

static int read_at(u64 off, void *buf, size_t n)
{
	return pread(kfd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* Read n bytes at a kernel virtual address. */
static int kread_va(u64 va, void *buf, size_t n)
{
	for (int i = 0; i < nphdrs; i++) {
		Elf64_Phdr *p = &phdrs[i];
		if (p->p_type != PT_LOAD || va < p->p_vaddr || va - p->p_vaddr + n > p->p_memsz)
			continue;
		if (va - p->p_vaddr + n > p->p_filesz)
			continue;
		return read_at(p->p_offset + (va - p->p_vaddr), buf, n);
	}
	return -1;
}

/* Read n bytes at a physical address, through a segment that carries p_paddr (RAM, text). */
static int kread_pa(u64 pa, void *buf, size_t n)
{
	for (int i = 0; i < nphdrs; i++) {
		Elf64_Phdr *p = &phdrs[i];
		if (p->p_type != PT_LOAD || p->p_paddr == (u64)-1 || pa < p->p_paddr || pa - p->p_paddr + n > p->p_filesz)
			continue;
		return read_at(p->p_offset + (pa - p->p_paddr), buf, n);
	}
	return -1;
}

/* ---- /proc/kallsyms -------------------------------------------------------------------- */

struct sym { const char *name; u64 addr; };
static struct sym syms[] = {
	{ "init_top_pgt", 0 }, { "page_offset_base", 0 }, { "vmemmap_base", 0 }, { "vmalloc_base", 0 },
	{ "__pgtable_l5_enabled", 0 }, { "max_pfn", 0 }, { "swapper_pg_dir", 0 }, { "memstart_addr", 0 },
	{ "phys_base", 0 },
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

static void read_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];
	if (!f)
		die("cannot open /proc/kallsyms: %s", strerror(errno));
	/* "<hex address> <type> <name>[\t[module]]": split by hand, sscanf is slow under TCG */
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		if (!sp || !sp[1] || sp[2] != ' ')
			continue;
		char *name = sp + 3, *e = name;
		while (*e && *e != '\n' && *e != '\t' && *e != ' ')
			e++;
		if (*e == '\t')
			continue; /* module symbol */
		*e = 0;
		for (unsigned i = 0; i < NSYMS; i++)
			if (!syms[i].addr && name[0] == syms[i].name[0] && strcmp(name, syms[i].name) == 0)
				syms[i].addr = strtoull(line, NULL, 16);
	}
	fclose(f);
}

static u64 sym(const char *n)
{
	for (unsigned i = 0; i < NSYMS; i++)
		if (strcmp(n, syms[i].name) == 0)
			return syms[i].addr;
	return 0;
}

static int read_u64_sym(const char *n, u64 *v)
{
	u64 a = sym(n);
	return a ? kread_va(a, v, 8) : -1;
}

/* ---- page-table geometry ---------------------------------------------------------------- */

enum arch { X86, ARM64 };
static enum arch arch;
static int levels;           /* number of levels including the top */
static int bits_per_level;   /* index bits of a full table */
static int top_bits;         /* index bits of the top table */
static int vabits;           /* bits translated */
static int lpa2;             /* arm64: OA[51:50] in descriptor bits [9:8] */
static const char *lname[6]; /* Linux names, top first */
static const char *hwname[6];

static int level_shift(int lvl) { return page_shift + (levels - 1 - lvl) * bits_per_level; }
static int level_entries(int lvl) { return 1 << (lvl == 0 ? top_bits : bits_per_level); }
static u64 table_bytes(int lvl) { u64 b = (u64)level_entries(lvl) * 8; return b < page_size ? page_size : b; }

static int present(u64 e) { return e & 1; }

/* Is entry e at level lvl a leaf (block or page)? */
static int is_leaf(u64 e, int lvl)
{
	if (lvl == levels - 1)
		return 1;
	if (arch == X86)
		return lvl > 0 && (e & (1ULL << 7)); /* PSE */
	return !(e & 2);                            /* arm64: block descriptor */
}

static u64 entry_pa(u64 e)
{
	if (arch == X86)
		return e & 0x000ffffffffff000ULL;
	if (page_shift == 16)
		return (e & 0x0000ffffffff0000ULL) | (((e >> 12) & 0xf) << 48);
	if (lpa2)
		return (e & 0x0003fffffffff000ULL) & ~(page_size - 1) ;
	return e & 0x0000fffffffff000ULL & ~(page_size - 1);
}

static u64 oa(u64 e)
{
	u64 pa = entry_pa(e);
	if (arch == ARM64 && lpa2 && page_shift != 16)
		pa |= ((e >> 8) & 3) << 50;
	return pa;
}

/* The attributes that matter for merging, as text. */
static void flags_str(u64 e, int lvl, char *out, size_t n)
{
	if (arch == X86) {
		snprintf(out, n, "%s%s%s%s%s%s", (e & 2) ? "RW" : "ro", (e & 4) ? " USR" : "",
			 (lvl < levels - 1 && (e & (1ULL << 7))) ? " PSE" : "", (e & (1ULL << 8)) ? " GLB" : "",
			 (e & (1ULL << 63)) ? " NX" : " x", (e & 0x18) ? " PCD/PWT" : "");
	} else {
		unsigned ap = (e >> 6) & 3;
		snprintf(out, n, "%s%s%s%s%s%s attr%u%s", (ap & 2) ? "ro" : "RW", (ap & 1) ? " USR" : "",
			 (e & (1ULL << 53)) ? " PXN" : " x", (e & (1ULL << 54)) ? " UXN" : "",
			 (e & (1ULL << 10)) ? " AF" : "", (e & (1ULL << 11)) ? " nG" : "",
			 (unsigned)((e >> 2) & 7), (e & (1ULL << 52)) ? " CONT" : "");
	}
}

/* Translate va through the tables; 0 on success. */
static int translate(u64 root_pa, u64 root_va, u64 va, u64 *pa_out)
{
	u64 tpa = root_pa;
	for (int lvl = 0; lvl < levels; lvl++) {
		int sh = level_shift(lvl);
		u64 idx = (va >> sh) & (u64)(level_entries(lvl) - 1);
		u64 e;
		int r = lvl == 0 && root_va ? kread_va(root_va + idx * 8, &e, 8) : kread_pa(tpa + idx * 8, &e, 8);
		if (r || !present(e))
			return -1;
		if (is_leaf(e, lvl)) {
			if (arch == ARM64 && lvl == levels - 1 && !(e & 2))
				return -1;
			*pa_out = oa(e) + (va & ((1ULL << sh) - 1));
			return 0;
		}
		tpa = oa(e);
	}
	return -1;
}

/* ---- the walk --------------------------------------------------------------------------- */

static u64 reg_start, reg_end, pfn0_va;
static u64 root_pa, root_va;
static int pfn0_override;
static int print_all, verbose;
static long run_lines;

struct run { int active, lvl, same; u64 va_s, va_e, pa_s, pa_next, n; char flags[96]; };
static struct run cur;
static long nruns;
static u64 leaves[6], mapped[6], tables[6], shared_tables[6];
static u64 *pte_pas;
static size_t npte, cap_pte;

static void fmt_pfn(u64 va, char *out, size_t n)
{
	if (va < pfn0_va) { snprintf(out, n, "-"); return; }
	snprintf(out, n, "0x%llx", (unsigned long long)((va - pfn0_va) / 64));
}

static void flush_run(void)
{
	char a[32], b[32];
	if (!cur.active)
		return;
	nruns++;
	if (print_all || run_lines < 300) {
		u64 leafsz = 1ULL << level_shift(cur.lvl);
		u64 pa_last = cur.same ? cur.pa_s + leafsz - 1 : cur.pa_next - 1;
		char same[48] = "";
		if (cur.same)
			snprintf(same, sizeof(same), " (SAME PAGE x%llu)", (unsigned long long)cur.n);
		fmt_pfn(cur.va_s, a, sizeof(a));
		fmt_pfn(cur.va_e - 1, b, sizeof(b));
		printf("RUN 0x%016llx-0x%016llx %s n=%llu size=%lluK pa=0x%llx-0x%llx%s %s off=0x%llx pfn=%s-%s\n",
		       (unsigned long long)cur.va_s, (unsigned long long)(cur.va_e - 1), lname[cur.lvl],
		       (unsigned long long)cur.n, (unsigned long long)((cur.va_e - cur.va_s) >> 10),
		       (unsigned long long)cur.pa_s, (unsigned long long)pa_last, same, cur.flags,
		       (unsigned long long)(cur.va_s - pfn0_va), a, b);
		run_lines++;
		if (!print_all && run_lines == 300)
			printf("INFO further RUN lines elided (use -a)\n");
	}
	cur.active = 0;
}

static void add_leaf(u64 va, u64 e, int lvl)
{
	u64 sz = 1ULL << level_shift(lvl);
	u64 pa = oa(e) & ~(sz - 1);
	char fl[96];
	flags_str(e, lvl, fl, sizeof(fl));
	leaves[lvl]++;
	mapped[lvl] += sz;
	if (lvl == levels - 1) {
		if (npte == cap_pte) {
			cap_pte = cap_pte ? cap_pte * 2 : 65536;
			pte_pas = realloc(pte_pas, cap_pte * sizeof(u64));
			if (!pte_pas)
				die("out of memory%s", "");
		}
		pte_pas[npte++] = pa;
	}
	if (verbose) {
		char a[32];
		fmt_pfn(va, a, sizeof(a));
		printf("LEAF 0x%016llx %s pa=0x%llx %s pfn=%s\n", (unsigned long long)va, lname[lvl], (unsigned long long)pa, fl, a);
	}
	if (cur.active && cur.lvl == lvl && cur.va_e == va && strcmp(cur.flags, fl) == 0) {
		if (cur.n == 1 && pa == cur.pa_s) { cur.same = 1; }
		if (cur.same ? pa == cur.pa_s : pa == cur.pa_next) {
			cur.n++;
			cur.va_e = va + sz;
			cur.pa_next = pa + sz;
			return;
		}
	}
	flush_run();
	cur.active = 1;
	cur.lvl = lvl;
	cur.same = 0;
	cur.va_s = va;
	cur.va_e = va + sz;
	cur.pa_s = pa;
	cur.pa_next = pa + sz;
	cur.n = 1;
	snprintf(cur.flags, sizeof(cur.flags), "%s", fl);
}

/* Walk the table at level lvl (physical tpa, covering VAs from base) over [lo, hi).
 * Returns 1 when the table maps something inside [lo, hi) (a leaf, or a lower table that
 * does): only such tables are counted, so a table that merely spans the region's edge
 * (the fixmap/PCI I/O tables next to the arm64 vmemmap) is not the vmemmap's. */
static int walk(u64 tpa, int lvl, u64 base, u64 lo, u64 hi)
{
	int sh = level_shift(lvl);
	int ne = level_entries(lvl);
	u64 tb = table_bytes(lvl);
	u64 *t = malloc(tb);
	int outside = 0, inside = 0;
	if (!t)
		die("out of memory%s", "");
	int r = lvl == 0 ? kread_va(root_va, t, (size_t)ne * 8) : kread_pa(tpa, t, (size_t)ne * 8);
	if (r) {
		printf("ERROR cannot read the %s table at pa 0x%llx\n", lname[lvl], (unsigned long long)tpa);
		free(t);
		return 0;
	}
	for (int i = 0; i < ne; i++) {
		u64 e = t[i];
		u64 va = base + ((u64)i << sh);
		u64 last = va + ((1ULL << sh) - 1);
		if (!present(e))
			continue;
		if (last < lo || va > hi - 1) { outside = 1; continue; }
		if (is_leaf(e, lvl)) {
			if (arch == ARM64 && lvl == levels - 1 && !(e & 2))
				continue; /* reserved encoding */
			add_leaf(va, e, lvl);
			inside = 1;
		} else if (walk(oa(e), lvl + 1, va, lo, hi)) {
			inside = 1;
		}
	}
	if (inside && lvl > 0) {
		tables[lvl]++;
		if (outside)
			shared_tables[lvl]++;
	}
	free(t);
	return inside;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;
	return x < y ? -1 : x > y;
}

/* ---- arch setup ------------------------------------------------------------------------- */

__attribute__((unused)) static void setup_x86(void)
{
	u64 pob = 0, vmb = 0, vab = 0, maxpfn = 0;
	uint32_t l5 = 0;
	arch = X86;
	page_shift = 12;
	page_size = 4096;
	root_va = sym("init_top_pgt");
	if (!root_va)
		die("no init_top_pgt in /proc/kallsyms (is kptr_restrict 0 and the symbol exported?)%s", "");
	if (sym("__pgtable_l5_enabled") && kread_va(sym("__pgtable_l5_enabled"), &l5, 4))
		die("cannot read __pgtable_l5_enabled%s", "");
	if (read_u64_sym("page_offset_base", &pob) || read_u64_sym("vmemmap_base", &vmb))
		die("cannot read page_offset_base / vmemmap_base through /proc/kcore%s", "");
	read_u64_sym("vmalloc_base", &vab);
	read_u64_sym("max_pfn", &maxpfn);
	levels = l5 ? 5 : 4;
	bits_per_level = 9;
	top_bits = 9;
	vabits = l5 ? 57 : 48;
	if (levels == 5) {
		static const char *n5[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
		memcpy(lname, n5, sizeof(n5));
	} else {
		static const char *n4[] = { "PGD", "PUD", "PMD", "PTE" };
		memcpy(lname, n4, sizeof(n4));
	}
	if (!pfn0_va)
		pfn0_va = vmb;
	reg_start = vmb;
	/* MAX_PHYSMEM_BITS 46 (4-level) / 52 (5-level): the memmap of every possible pfn */
	reg_end = vmb + ((1ULL << ((l5 ? 52 : 46) - 12)) * 64);
	/* the root's physical address: init_top_pgt lies in the kernel image */
	root_pa = 0;
	for (int i = 0; i < nphdrs; i++) {
		Elf64_Phdr *p = &phdrs[i];
		if (p->p_type == PT_LOAD && p->p_paddr != (u64)-1 && root_va >= p->p_vaddr && root_va < p->p_vaddr + p->p_memsz)
			root_pa = p->p_paddr + (root_va - p->p_vaddr);
	}
	printf("INFO arch=x86_64 levels=%d __pgtable_l5_enabled=%u page_offset_base=0x%llx vmalloc_base=0x%llx vmemmap_base=0x%llx init_top_pgt=0x%llx max_pfn=0x%llx kcore_phdrs=%d\n",
	       levels, l5, (unsigned long long)pob, (unsigned long long)vab, (unsigned long long)vmb,
	       (unsigned long long)root_va, (unsigned long long)maxpfn, nphdrs);
	/* validate: a linear-map address of a RAM segment must translate to its physical address */
	int checked = 0;
	for (int i = 0; i < nphdrs && checked < 4; i++) {
		Elf64_Phdr *p = &phdrs[i];
		u64 pa;
		if (p->p_type != PT_LOAD || p->p_paddr == (u64)-1 || p->p_vaddr != pob + p->p_paddr)
			continue;
		if (translate(0, root_va, p->p_vaddr, &pa) || pa != p->p_paddr) {
			printf("ERROR geometry check failed: 0x%llx does not translate to 0x%llx\n", (unsigned long long)p->p_vaddr, (unsigned long long)p->p_paddr);
			exit(1);
		}
		checked++;
	}
	printf("INFO geometry: x86_64 levels=%d validated_with=%d linear-map segments\n", levels, checked);
}

__attribute__((unused)) static void setup_arm64(int cfg_vabits, int cfg_vabits_min)
{
	u64 memstart = 0, maxpfn = 0;
	arch = ARM64;
	page_size = (u64)sysconf(_SC_PAGESIZE);
	page_shift = page_size == 65536 ? 16 : page_size == 16384 ? 14 : 12;
	bits_per_level = page_shift - 3;
	root_va = sym("swapper_pg_dir");
	if (!root_va)
		die("no swapper_pg_dir in /proc/kallsyms%s", "");
	if (read_u64_sym("memstart_addr", &memstart))
		die("cannot read memstart_addr through /proc/kcore%s", "");
	read_u64_sym("max_pfn", &maxpfn);
	/* a few linear-map RAM segments to validate candidate geometries with */
	int cand_va[] = { 52, 48, 47, 42, 39, 36 };
	int found = 0;
	for (unsigned c = 0; c < sizeof(cand_va) / sizeof(cand_va[0]) && !found; c++) {
		for (int l2 = 1; l2 >= 0 && !found; l2--) {
			int v = cand_va[c];
			if (l2 && page_shift == 16)
				continue;
			vabits = v;
			lpa2 = l2;
			levels = (v - page_shift + bits_per_level - 1) / bits_per_level;
			top_bits = v - page_shift - (levels - 1) * bits_per_level;
			if (top_bits <= 0 || levels > 5)
				continue;
			int ok = 0, bad = 0;
			for (int i = 0; i < nphdrs && ok < 4; i++) {
				Elf64_Phdr *p = &phdrs[i];
				u64 pa;
				if (p->p_type != PT_LOAD || p->p_paddr == (u64)-1 || p->p_vaddr < (0ULL - (1ULL << 52)))
					continue;
				if ((p->p_vaddr >> v) != (~0ULL >> v))
					continue; /* not a TTBR1 address under this VA size */
				if (translate(0, root_va, p->p_vaddr, &pa) || pa != p->p_paddr) { bad++; break; }
				ok++;
			}
			if (ok > 0 && !bad)
				found = 1;
		}
	}
	if (!found)
		die("no page-table geometry translates the kcore linear-map segments%s", "");
	static const char *L[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
	static const char *H[] = { "L-1", "L0", "L1", "L2", "L3" };
	for (int i = 0; i < levels; i++) {
		int hw = 5 - levels + i; /* index into H: last level is L3 */
		hwname[i] = H[hw];
		/* Linux names: the top is pgd; the rest are named from the bottom up */
		lname[i] = i == 0 ? "PGD" : L[5 - levels + i];
	}
	/* the vmemmap region. Since v6.9: VMEMMAP_END is -1 GiB and the region covers the
	 * linear map of VA_BITS_MIN; before: it starts at -(1 << (VA_BITS - (PAGE_SHIFT - 6))).
	 * pfn 0's struct page sits memstart_addr >> PAGE_SHIFT entries below VMEMMAP_START.
	 * CONFIG_ARM64_VA_BITS is not visible at run time: try -V, the VA size in use, then
	 * the usual sizes, and keep the first layout under which the struct page of the first
	 * RAM pfn is mapped. */
	u64 first_ram = (u64)-1, pa;
	for (int i = 0; i < nphdrs; i++) {
		Elf64_Phdr *p = &phdrs[i];
		if (p->p_type == PT_LOAD && p->p_paddr != (u64)-1 && p->p_paddr < first_ram)
			first_ram = p->p_paddr;
	}
	if (first_ram == (u64)-1)
		die("kcore has no segment with a physical address%s", "");
	int cands[] = { cfg_vabits, vabits, 52, 48, 47, 42, 39 };
	int found_layout = 0;
	for (unsigned c = 0; c < sizeof(cands) / sizeof(cands[0]) && !found_layout; c++) {
		int vb = cands[c];
		if (vb <= 0)
			continue;
		int vbmin = cfg_vabits_min ? cfg_vabits_min : vb > 48 ? (page_shift == 14 ? 47 : 48) : vb;
		u64 range = (1ULL << vb) - (1ULL << (vbmin - 1));
		u64 size = (range >> page_shift) * 64;
		for (int layout = 0; layout < 2 && !found_layout; layout++) {
			if (layout == 0) {
				reg_end = 0ULL - (1ULL << 30);
				reg_start = reg_end - size;
			} else {
				reg_start = 0ULL - (1ULL << (vb - (page_shift - 6)));
				reg_end = reg_start + size;
			}
			u64 p0 = pfn0_override ? pfn0_va : reg_start - (memstart >> page_shift) * 64;
			if (translate(0, root_va, p0 + (first_ram >> page_shift) * 64, &pa) == 0) {
				pfn0_va = p0;
				cfg_vabits = vb;
				cfg_vabits_min = vbmin;
				found_layout = 1;
				printf("INFO vmemmap layout: %s, VA_BITS=%d VA_BITS_MIN=%d\n", layout ? "before v6.9" : "v6.9+", vb, vbmin);
			}
		}
	}
	printf("INFO arch=arm64 levels=%d page_size=%llu vabits=%d lpa2=%d swapper_pg_dir=0x%llx memstart_addr=0x%llx max_pfn=0x%llx kcore_phdrs=%d\n",
	       levels, (unsigned long long)page_size, vabits, lpa2, (unsigned long long)root_va,
	       (unsigned long long)memstart, (unsigned long long)maxpfn, nphdrs);
	printf("INFO geometry: granule=%lluK vabits=%d levels=%d lpa2=%d top=%s(%d entries) config_va_bits=%d va_bits_min=%d\n",
	       (unsigned long long)(page_size >> 10), vabits, levels, lpa2, hwname[0], 1 << top_bits, cfg_vabits, cfg_vabits_min);
	if (!found_layout) {
		printf("ERROR vmemmap layout check failed: under no VA_BITS is the struct page of pfn 0x%llx mapped; pass -V/-M or -B\n",
		       (unsigned long long)(first_ram >> page_shift));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int opt, cfg_vabits = 0, cfg_vabits_min = 0;
	while ((opt = getopt(argc, argv, "avV:M:B:")) != -1) {
		switch (opt) {
		case 'a': print_all = 1; break;
		case 'v': verbose = 1; break;
		case 'V': cfg_vabits = atoi(optarg); break;
		case 'M': cfg_vabits_min = atoi(optarg); break;
		case 'B': pfn0_va = strtoull(optarg, NULL, 0); pfn0_override = 1; break;
		default:
			fprintf(stderr, "usage: %s [-a] [-v] [-V va_bits] [-M va_bits_min] [-B pfn0_va]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	kcore_open();
	read_kallsyms();
#if defined(__x86_64__)
	(void)cfg_vabits;
	(void)cfg_vabits_min;
	setup_x86();
#elif defined(__aarch64__)
	setup_arm64(cfg_vabits, cfg_vabits_min);
#else
#error "vmemdump supports x86_64 and arm64"
#endif
	printf("INFO region=0x%llx-0x%llx pfn0_va=0x%llx struct_page=64 page_size=%llu names=",
	       (unsigned long long)reg_start, (unsigned long long)(reg_end - 1), (unsigned long long)pfn0_va, (unsigned long long)page_size);
	for (int i = 0; i < levels; i++)
		printf("%s%s%s%s", i ? "," : "", lname[i], arch == ARM64 ? ":" : "", arch == ARM64 ? hwname[i] : "");
	printf("\n");
	if (arch == X86) {
		/* x86: top index bits are va[47:39] (4-level) or va[56:48] (5-level); walk the upper half */
		u64 base = levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
		int sh = level_shift(0);
		u64 *t = malloc(4096);
		if (!t || kread_va(root_va, t, 4096))
			die("cannot read the top table%s", "");
		for (int i = 256; i < 512; i++) {
			u64 e = t[i];
			u64 va = base + ((u64)(i - 256) << sh);
			u64 last = va + ((1ULL << sh) - 1);
			if (!present(e) || last < reg_start || va > reg_end - 1)
				continue;
			if (is_leaf(e, 0)) { add_leaf(va, e, 0); continue; }
			walk(oa(e), 1, va, reg_start, reg_end);
		}
		free(t);
	} else {
		u64 base = 0ULL - (1ULL << vabits);
		int sh = level_shift(0);
		int ne = level_entries(0);
		u64 *t = malloc((size_t)ne * 8);
		if (!t || kread_va(root_va, t, (size_t)ne * 8))
			die("cannot read the top table%s", "");
		for (int i = 0; i < ne; i++) {
			u64 e = t[i];
			u64 va = base + ((u64)i << sh);
			u64 last = va + ((1ULL << sh) - 1);
			if (!present(e) || last < reg_start || va > reg_end - 1)
				continue;
			if (is_leaf(e, 0)) { add_leaf(va, e, 0); continue; }
			walk(oa(e), 1, va, reg_start, reg_end);
		}
		free(t);
	}
	flush_run();
	qsort(pte_pas, npte, sizeof(u64), cmp_u64);
	size_t distinct = 0;
	for (size_t i = 0; i < npte; i++)
		if (i == 0 || pte_pas[i] != pte_pas[i - 1])
			distinct++;
	u64 backing = distinct * page_size, ptbytes = 0;
	int pte_l = levels - 1, pmd_l = levels - 2, pud_l = levels - 3;
	for (int l = 0; l < levels - 1; l++)
		backing += mapped[l];
	for (int l = 1; l < levels; l++)
		ptbytes += tables[l] * table_bytes(l);
	printf("SUMMARY runs=%ld pte_leaves=%llu distinct_pte_target_pages=%zu (%lluK) pmd_leaves=%llu pud_leaves=%llu => memmap backing = %lluK + page tables below top = %lluK\n",
	       nruns, (unsigned long long)leaves[pte_l], distinct, (unsigned long long)(distinct * page_size >> 10),
	       (unsigned long long)(pmd_l >= 0 ? leaves[pmd_l] : 0), (unsigned long long)(pud_l >= 0 ? leaves[pud_l] : 0),
	       (unsigned long long)(backing >> 10), (unsigned long long)(ptbytes >> 10));
	for (int l = 0; l < levels; l++)
		printf("SUMMARY %s: tables_visited=%llu shared=%llu leaves=%llu mapped=%lluK\n", lname[l],
		       (unsigned long long)(l == 0 ? 1 : tables[l]), (unsigned long long)(l == 0 ? 1 : shared_tables[l]),
		       (unsigned long long)leaves[l], (unsigned long long)(mapped[l] >> 10));
	fflush(stdout);
	return 0;
}
