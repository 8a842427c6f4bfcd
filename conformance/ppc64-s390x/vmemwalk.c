/*
 * vmemwalk: in-guest dump of the powerpc64 (Book3S-64) vmemmap, read through /proc/kcore.
 * Static ppc64el binary, built by build-initramfs.sh; not used by CI.
 *
 *  - the `vmemmap` variable (where pfn 0's struct page is);
 *  - radix MMU: a walk of swapper_pg_dir over [vmemmap, vmemmap + 2^49) printing merged leaf
 *    runs per level (PUD 1G / PMD 2M / PTE base page), the physical range behind each run, the
 *    pfn range whose struct pages (64 bytes assumed) live there, and the table count per level;
 *  - the kernel's vmemmap_list (struct vmemmap_backing {list, phys, virt_addr}), which hash
 *    (and radix before 6.6) keep for every vmemmap block they created.
 * Radix table entries are big-endian in memory on a little-endian kernel.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int kfd;
static Elf64_Phdr *ph;
static int nph;

static int kread(uint64_t va, void *buf, size_t len)
{
	for (int i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (va >= ph[i].p_vaddr && va + len <= ph[i].p_vaddr + ph[i].p_memsz) {
			off_t off = ph[i].p_offset + (va - ph[i].p_vaddr);
			return pread(kfd, buf, len, off) == (ssize_t)len ? 0 : -1;
		}
	}
	return -1;
}

/* name=hexaddr pairs from the command line (vl.syms=, from the vmlinux symbol table): the
 * Debian 6.1 kernels have no KALLSYMS_ALL, so /proc/kallsyms lacks data symbols */
static int g_argc;
static char **g_argv;

static uint64_t sym(const char *name)
{
	size_t l = strlen(name);
	for (int i = 1; i < g_argc; i++)
		if (!strncmp(g_argv[i], name, l) && g_argv[i][l] == '=')
			return strtoull(g_argv[i] + l + 1, NULL, 16);
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];
	uint64_t a = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		char t, n[400];
		if (sscanf(line, "%llx %c %399s", &v, &t, n) == 3 && !strcmp(n, name)) {
			a = v;
			break;
		}
	}
	fclose(f);
	return a;
}

#define PAGE_OFFSET 0xc000000000000000ULL
static uint64_t vmemmap_base;
static long pgsz;

/* merged leaf runs */
struct run { int level; uint64_t va, pa, len; int open; } cur;
static const char *lvname[] = { "PGD", "PUD", "PMD", "PTE" };
static unsigned long nleaf[4], ntab[4];

static void flush(void)
{
	if (!cur.open)
		return;
	uint64_t p0 = (cur.va - vmemmap_base) / 64, p1 = (cur.va + cur.len - vmemmap_base) / 64;
	printf("%s 0x%016llx-0x%016llx -> phys 0x%llx-0x%llx  %llu KiB  pfns [0x%llx, 0x%llx)\n", lvname[cur.level],
	       (unsigned long long)cur.va, (unsigned long long)(cur.va + cur.len - 1), (unsigned long long)cur.pa,
	       (unsigned long long)(cur.pa + cur.len - 1), (unsigned long long)(cur.len >> 10), (unsigned long long)p0,
	       (unsigned long long)p1);
	cur.open = 0;
}

static void leaf(int level, uint64_t va, uint64_t pa, uint64_t len)
{
	nleaf[level]++;
	if (cur.open && cur.level == level && cur.va + cur.len == va && cur.pa + cur.len == pa) {
		cur.len += len;
		return;
	}
	flush();
	cur = (struct run){ level, va, pa, len, 1 };
}

static uint64_t be(uint64_t x) { return __builtin_bswap64(x); }

#define P_PRESENT 0x8000000000000000ULL
#define P_LEAF 0x4000000000000000ULL
#define TAB_MASK 0x3fffffffffffff00ULL
#define RPN_MASK 0x00fffffffffff000ULL

static void walk_radix(uint64_t pgd, uint64_t start, uint64_t end)
{
	int pte_bits = pgsz == 65536 ? 5 : 9;
	int page_shift = pgsz == 65536 ? 16 : 12;
	int shifts[4] = { 39, 30, 21, page_shift };
	int bits[4] = { 13, 9, 9, pte_bits };
	/* iterative over 4 levels */
	static uint64_t tab[4][8192];
	uint64_t tva[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };
	tva[0] = pgd;
	uint64_t va = start;
	while (va < end) {
		uint64_t cur_tab = pgd;
		int lvl;
		for (lvl = 0; lvl < 4; lvl++) {
			int n = 1 << bits[lvl];
			if (tva[lvl] != cur_tab || lvl == 0) {
				if (kread(cur_tab, tab[lvl], n * 8)) {
					printf("ERROR: cannot read %s table at 0x%llx\n", lvname[lvl], (unsigned long long)cur_tab);
					return;
				}
				tva[lvl] = cur_tab;
			}
			uint64_t idx = (va >> shifts[lvl]) & (n - 1);
			uint64_t e = be(tab[lvl][idx]);
			uint64_t span = 1ULL << shifts[lvl];
			uint64_t next = (va & ~(span - 1)) + span;
			if (!(e & P_PRESENT)) {
				va = next;
				break;
			}
			if ((e & P_LEAF) || lvl == 3) {
				uint64_t pa = (e & RPN_MASK) & ~(span - 1);
				leaf(lvl, va & ~(span - 1), pa, span);
				va = next;
				break;
			}
			cur_tab = PAGE_OFFSET | (e & TAB_MASK);
		}
	}
	flush();
}

/* count tables: a second, simple recursive pass */
static void count_tables(uint64_t t, int lvl, uint64_t base, uint64_t start, uint64_t end)
{
	int page_shift = pgsz == 65536 ? 16 : 12;
	int shifts[4] = { 39, 30, 21, page_shift };
	int bits[4] = { 13, 9, 9, pgsz == 65536 ? 5 : 9 };
	int n = 1 << bits[lvl];
	uint64_t *buf = malloc(n * 8);
	if (kread(t, buf, n * 8)) {
		free(buf);
		return;
	}
	ntab[lvl]++;
	for (int i = 0; i < n; i++) {
		uint64_t va = base + ((uint64_t)i << shifts[lvl]);
		uint64_t span = 1ULL << shifts[lvl];
		if (va + span <= start || va >= end)
			continue;
		uint64_t e = be(buf[i]);
		if (!(e & P_PRESENT) || (e & P_LEAF) || lvl == 3)
			continue;
		count_tables(PAGE_OFFSET | (e & TAB_MASK), lvl + 1, va, start, end);
	}
	free(buf);
}

struct vb { uint64_t list, phys, virt; };
static int cmpv(const void *a, const void *b)
{
	const struct vb *x = a, *y = b;
	return x->virt < y->virt ? -1 : x->virt > y->virt;
}

int main(int argc, char **argv)
{
	Elf64_Ehdr eh;
	g_argc = argc;
	g_argv = argv;
	pgsz = sysconf(_SC_PAGESIZE);
	kfd = open("/proc/kcore", O_RDONLY);
	if (kfd < 0 || pread(kfd, &eh, sizeof eh, 0) != sizeof eh) {
		perror("ERROR: /proc/kcore");
		return 1;
	}
	nph = eh.e_phnum;
	ph = calloc(nph, sizeof *ph);
	pread(kfd, ph, nph * sizeof *ph, eh.e_phoff);
	printf("INFO kcore PT_LOAD segments: %d, page size %ld\n", nph - 1, pgsz);
	for (int i = 0; i < nph; i++)
		if (ph[i].p_type == PT_LOAD)
			printf("INFO kcore 0x%016llx +0x%llx\n", (unsigned long long)ph[i].p_vaddr,
			       (unsigned long long)ph[i].p_memsz);

	uint64_t a_vmemmap = sym("vmemmap"), a_list = sym("vmemmap_list"), a_pgd = sym("swapper_pg_dir");
	printf("INFO &vmemmap=0x%llx &vmemmap_list=0x%llx swapper_pg_dir=0x%llx\n", (unsigned long long)a_vmemmap,
	       (unsigned long long)a_list, (unsigned long long)a_pgd);
	if (!a_vmemmap || kread(a_vmemmap, &vmemmap_base, 8)) {
		printf("ERROR: cannot read vmemmap\n");
		return 1;
	}
	printf("INFO vmemmap=0x%016llx (struct page of pfn 0)\n", (unsigned long long)vmemmap_base);

	char mmu[64] = "";
	FILE *c = fopen("/proc/cpuinfo", "r");
	char line[256];
	while (c && fgets(line, sizeof line, c))
		if (!strncmp(line, "MMU", 3)) {
			sscanf(strchr(line, ':') + 1, "%63s", mmu);
			break;
		}
	if (c)
		fclose(c);
	printf("INFO MMU=%s\n", mmu);

	if (!strcmp(mmu, "Radix") && a_pgd) {
		uint64_t end = vmemmap_base + (1ULL << 49);
		printf("=== radix page-table walk of [0x%llx, 0x%llx) ===\n", (unsigned long long)vmemmap_base,
		       (unsigned long long)end);
		walk_radix(a_pgd, vmemmap_base, end);
		count_tables(a_pgd, 0, PAGE_OFFSET, vmemmap_base, end);
		printf("SUMMARY leaves PUD=%lu PMD=%lu PTE=%lu; tables below PGD touching the range: PUD=%lu PMD=%lu PTE=%lu\n",
		       nleaf[1], nleaf[2], nleaf[3], ntab[1], ntab[2], ntab[3]);
	}

	if (a_list) {
		uint64_t p;
		int n = 0, cap = 1 << 20;
		struct vb *v = malloc(sizeof *v * 4096);
		int vcap = 4096;
		if (kread(a_list, &p, 8)) {
			printf("ERROR: cannot read vmemmap_list\n");
			return 1;
		}
		while (p && n < cap) {
			struct vb e;
			if (kread(p, &e, sizeof e)) {
				printf("ERROR: cannot read vmemmap_backing at 0x%llx\n", (unsigned long long)p);
				break;
			}
			if (n == vcap)
				v = realloc(v, sizeof *v * (vcap *= 2));
			v[n++] = e;
			p = e.list;
		}
		printf("=== vmemmap_list: %d entries ===\n", n);
		qsort(v, n, sizeof *v, cmpv);
		uint64_t minstep = 0;
		for (int i = 1; i < n; i++) {
			uint64_t d = v[i].virt - v[i - 1].virt;
			if (d && (!minstep || d < minstep))
				minstep = d;
		}
		if (n)
			printf("INFO smallest step between entries: 0x%llx\n", (unsigned long long)minstep);
		for (int i = 0; i < n; i++)
			printf("BLOCK virt 0x%016llx phys 0x%llx pfns from 0x%llx\n", (unsigned long long)v[i].virt,
			       (unsigned long long)v[i].phys, (unsigned long long)((v[i].virt - vmemmap_base) / 64));
	}
	return 0;
}
