/*
 * vmemwalk (s390x): in-guest dump of the s390 vmemmap mapping, read through /proc/kcore.
 * Static s390x binary, built by build-initramfs.sh; not used by CI.
 *
 * Reads `vmemmap` (struct page of pfn 0) and, where present, vmemmap_size, __identity_base,
 * ident_map_size, max_mappable; walks swapper_pg_dir (region-first/second/third, segment, page
 * tables; the top table's type comes from its entries' TT bits) and prints merged leaf runs
 * inside [vmemmap, vmemmap + vmemmap_size) (2^40 when vmemmap_size is unknown) per level (R3 2G large, SEG 1M large, PTE 4K) with the
 * physical range and the pfns whose struct pages (64 bytes) live there, plus table counts.
 * s390 is big-endian: table entries are read as they are.
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
static uint64_t ident_base;

static int kread(uint64_t va, void *buf, size_t len)
{
	for (int i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (va >= ph[i].p_vaddr && va + len <= ph[i].p_vaddr + ph[i].p_memsz)
			return pread(kfd, buf, len, ph[i].p_offset + (va - ph[i].p_vaddr)) == (ssize_t)len ? 0 : -1;
	}
	return -1;
}

static int g_argc;
static char **g_argv;

/* name=hexaddr pairs from the command line (vl.syms=) win over /proc/kallsyms */
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

static int symval(const char *name, uint64_t *v)
{
	uint64_t a = sym(name);
	if (!a || kread(a, v, 8))
		return -1;
	return 0;
}

static uint64_t vm, vm_end;
static const char *lvname[] = { "R1", "R2", "R3", "SEG", "PTE" };
static const int shift[] = { 53, 42, 31, 20, 12 };
static unsigned long nleaf[5], ntab[5];
struct run { int level; uint64_t va, pa, len; int open; } cur;

static void flush(void)
{
	if (!cur.open)
		return;
	printf("%s 0x%016llx-0x%016llx -> phys 0x%llx-0x%llx  %llu KiB  pfns [0x%llx, 0x%llx)\n", lvname[cur.level],
	       (unsigned long long)cur.va, (unsigned long long)(cur.va + cur.len - 1), (unsigned long long)cur.pa,
	       (unsigned long long)(cur.pa + cur.len - 1), (unsigned long long)(cur.len >> 10),
	       (unsigned long long)((cur.va - vm) / 64), (unsigned long long)((cur.va + cur.len - vm) / 64));
	cur.open = 0;
}

static void leaf(int level, uint64_t va, uint64_t pa, uint64_t len)
{
	if (va + len <= vm || va >= vm_end)
		return;
	nleaf[level]++;
	if (cur.open && cur.level == level && cur.va + cur.len == va && cur.pa + cur.len == pa) {
		cur.len += len;
		return;
	}
	flush();
	cur = (struct run){ level, va, pa, len, 1 };
}

static void walk(uint64_t tpa, int lvl, uint64_t base)
{
	int n = lvl == 4 ? 256 : 2048;
	uint64_t *t = malloc(n * 8);
	if (kread(ident_base + tpa, t, n * 8)) {
		printf("ERROR: cannot read %s table at phys 0x%llx\n", lvname[lvl], (unsigned long long)tpa);
		free(t);
		return;
	}
	int touched = 0;
	for (int i = 0; i < n; i++) {
		uint64_t span = 1ULL << shift[lvl];
		uint64_t va = base + (uint64_t)i * span;
		if (va + span <= vm || va >= vm_end)
			continue;
		touched = 1;
		uint64_t e = t[i];
		if (lvl == 4) {
			if (e & 0x400) /* _PAGE_INVALID */
				continue;
			leaf(4, va, e & ~0xfffULL, span);
			continue;
		}
		if (e & 0x20) /* _REGION_ENTRY_INVALID / _SEGMENT_ENTRY_INVALID */
			continue;
		if (lvl == 3) {
			if (e & 0x400) /* _SEGMENT_ENTRY_LARGE */
				leaf(3, va, e & ~0xfffffULL, span);
			else
				walk(e & ~0x7ffULL, 4, va);
			continue;
		}
		if (lvl == 2 && (e & 0x400)) { /* _REGION3_ENTRY_LARGE */
			leaf(2, va, e & ~0x7fffffffULL, span);
			continue;
		}
		walk(e & ~0xfffULL, lvl + 1, va);
	}
	if (touched)
		ntab[lvl]++;
	free(t);
}

int main(int argc, char **argv)
{
	Elf64_Ehdr eh;
	g_argc = argc;
	g_argv = argv;
	kfd = open("/proc/kcore", O_RDONLY);
	if (kfd < 0 || pread(kfd, &eh, sizeof eh, 0) != sizeof eh) {
		perror("ERROR: /proc/kcore");
		return 1;
	}
	nph = eh.e_phnum;
	ph = calloc(nph, sizeof *ph);
	pread(kfd, ph, nph * sizeof *ph, eh.e_phoff);
	for (int i = 0; i < nph; i++)
		if (ph[i].p_type == PT_LOAD)
			printf("INFO kcore 0x%016llx +0x%llx\n", (unsigned long long)ph[i].p_vaddr,
			       (unsigned long long)ph[i].p_memsz);
	uint64_t v;
	const char *names[] = { "vmemmap", "vmemmap_size", "__identity_base", "ident_map_size", "max_mappable",
				"__abs_lowcore", "__memcpy_real_area", "VMALLOC_START", "__vmalloc_start",
				"vmalloc_size", "__kaslr_offset", "__kaslr_offset_phys", NULL };
	for (int i = 0; names[i]; i++)
		if (!symval(names[i], &v))
			printf("INFO %s = 0x%llx\n", names[i], (unsigned long long)v);
	if (symval("__identity_base", &ident_base))
		ident_base = 0;
	if (symval("vmemmap", &vm)) {
		printf("ERROR: cannot read vmemmap\n");
		return 1;
	}
	uint64_t vsz;
	/* vmemmap_size (v6.1+ bootdata) bounds the region; else the largest possible memmap */
	vm_end = vm + (symval("vmemmap_size", &vsz) || !vsz ? (1ULL << 40) : vsz);
	uint64_t pgd = sym("swapper_pg_dir");
	if (!pgd) {
		printf("ERROR: no swapper_pg_dir\n");
		return 1;
	}
	/* swapper_pg_dir is a kernel-image address; tables below it are physical */
	uint64_t t0[2048];
	if (kread(pgd, t0, sizeof t0)) {
		printf("ERROR: cannot read swapper_pg_dir at 0x%llx\n", (unsigned long long)pgd);
		return 1;
	}
	int tt = -1;
	for (int i = 0; i < 2048; i++)
		if (!(t0[i] & 0x20) && t0[i]) {
			tt = (t0[i] >> 2) & 3;
			break;
		}
	/* TT 3 = region-first entries, 2 = region-second, 1 = region-third, 0 = segment */
	int top = tt == 3 ? 0 : tt == 2 ? 1 : tt == 1 ? 2 : 3;
	printf("INFO swapper_pg_dir=0x%llx top table %s (entry TT=%d)\n", (unsigned long long)pgd, lvname[top], tt);
	printf("=== page-table walk of [0x%llx, 0x%llx) ===\n", (unsigned long long)vm, (unsigned long long)vm_end);
	/* the top table is read through its image address: find its physical address via kcore is not
	 * needed, walk() reads ident_base + pa, so read the top level by hand */
	uint64_t span = 1ULL << shift[top];
	for (int i = 0; i < 2048; i++) {
		uint64_t va = (uint64_t)i * span, e = t0[i];
		if (va + span <= vm || va >= vm_end || (e & 0x20))
			continue;
		if (top == 3) {
			if (e & 0x400)
				leaf(3, va, e & ~0xfffffULL, span);
			else
				walk(e & ~0x7ffULL, 4, va);
		} else if (top == 2 && (e & 0x400)) {
			leaf(2, va, e & ~0x7fffffffULL, span);
		} else {
			walk(e & ~0xfffULL, top + 1, va);
		}
	}
	flush();
	printf("SUMMARY leaves R3=%lu SEG=%lu PTE=%lu; tables touching the range: R2=%lu R3=%lu SEG=%lu PTE=%lu\n",
	       nleaf[2], nleaf[3], nleaf[4], ntab[1], ntab[2], ntab[3], ntab[4]);
	return 0;
}
