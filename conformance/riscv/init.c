/*
 * vmemmap-lab riscv64 boot recorder: the guest's /init (static, no busybox: bookworm has no
 * riscv64 user space). Compiled by conformance/riscv/build-initramfs.sh with
 *   riscv64-linux-gnu-gcc -O2 -static -o init init.c
 *
 * It mounts proc, sysfs, devtmpfs and debugfs, silences the kernel console (console loglevel 1,
 * so nothing interleaves with what follows), prints every section to /dev/console between
 * markers in the format of conformance/guest/init.sh:
 *   ===== BEGIN 0-boot <section> =====
 *   ...verbatim...
 *   ===== END 0-boot <section> (rc=<0 or errno>) =====
 * then "@@DONE" and powers the machine off (SBI system reset).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int out = 1;

static void wr(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(out, s, n);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			return;
		}
		s += k;
		n -= (size_t)k;
	}
}

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		wr(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static const char *snap = "0-boot";
static void begin(const char *name) { say("===== BEGIN %s %s =====\n", snap, name); }
static void end(const char *name, int rc) { say("===== END %s %s (rc=%d) =====\n", snap, name, rc); }

/* copy a file verbatim; returns 0 or errno */
static int cat(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	static char buf[65536];
	ssize_t n;
	int last = '\n';
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return e;
		}
		wr(buf, (size_t)n);
		last = buf[n - 1];
	}
	close(fd);
	if (last != '\n')
		wr("\n", 1);
	return 0;
}

static void section_file(const char *name, const char *path)
{
	begin(name);
	int rc = cat(path);
	if (rc)
		say("%s: %s\n", path, strerror(rc));
	end(name, rc);
}

static int first_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

static int cmp_mem(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return atoi(x + 6) - atoi(y + 6);
}

/* /sys/devices/system/memory: block size, then one line per block: name, phys_index, state,
 * valid_zones, the node link */
static void section_blocks(void)
{
	char v[256], p[512];
	begin("memory-blocks");
	if (first_line("/sys/devices/system/memory/block_size_bytes", v, sizeof v) == 0)
		say("block_size_bytes=%s\n", v);
	if (first_line("/sys/devices/system/memory/auto_online_blocks", v, sizeof v) == 0)
		say("auto_online_blocks=%s\n", v);
	DIR *d = opendir("/sys/devices/system/memory");
	int rc = 0;
	if (!d) {
		rc = errno;
		say("opendir: %s\n", strerror(rc));
	} else {
		char *names[4096];
		int n = 0;
		struct dirent *e;
		while ((e = readdir(d)) && n < 4096)
			if (strncmp(e->d_name, "memory", 6) == 0 && e->d_name[6] >= '0' && e->d_name[6] <= '9')
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names, n, sizeof names[0], cmp_mem);
		say("blocks=%d\n", n);
		for (int i = 0; i < n; i++) {
			say("%s", names[i]);
			static const char *attrs[] = { "phys_index", "state", "valid_zones", "removable", "online" };
			for (unsigned j = 0; j < sizeof attrs / sizeof attrs[0]; j++) {
				snprintf(p, sizeof p, "/sys/devices/system/memory/%s/%s", names[i], attrs[j]);
				if (first_line(p, v, sizeof v) == 0)
					say(" %s=%s", attrs[j], v);
			}
			for (int node = 0; node < 64; node++) {
				struct stat st;
				snprintf(p, sizeof p, "/sys/devices/system/memory/%s/node%d", names[i], node);
				if (lstat(p, &st) == 0)
					say(" node=%d", node);
			}
			say("\n");
			free(names[i]);
		}
	}
	end("memory-blocks", rc);
}

/* the hugepage sizes the kernel registered, with nr_hugepages */
static void section_hugepages(void)
{
	char v[64], p[512];
	begin("hugepages");
	DIR *d = opendir("/sys/kernel/mm/hugepages");
	int rc = 0;
	if (!d) {
		rc = errno;
		say("opendir: %s\n", strerror(rc));
	} else {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "/sys/kernel/mm/hugepages/%s/nr_hugepages", e->d_name);
			say("%s nr_hugepages=%s\n", e->d_name, first_line(p, v, sizeof v) == 0 ? v : "?");
		}
		closedir(d);
	}
	end("hugepages", rc);
}

/* device tree: every memory@ node's reg and every reserved-memory child's reg (hex, big-endian
 * cells: #address-cells = #size-cells = 2 on QEMU virt) */
static void dt_regs(const char *dir, const char *prefix)
{
	char p[512];
	DIR *d = opendir(dir);
	if (!d) {
		say("%s: %s\n", dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (prefix && strncmp(e->d_name, prefix, strlen(prefix))))
			continue;
		snprintf(p, sizeof p, "%s/%s/reg", dir, e->d_name);
		int fd = open(p, O_RDONLY);
		if (fd < 0)
			continue;
		unsigned char b[256];
		ssize_t n = read(fd, b, sizeof b);
		close(fd);
		say("%s/%s reg=", dir, e->d_name);
		for (ssize_t i = 0; i < n; i++)
			say("%02x%s", b[i], (i % 4 == 3 && i != n - 1) ? " " : "");
		snprintf(p, sizeof p, "%s/%s/no-map", dir, e->d_name);
		struct stat st;
		say("%s\n", stat(p, &st) == 0 ? " no-map" : "");
	}
	closedir(d);
}

static void section_dt_memory(void)
{
	begin("dt-memory");
	dt_regs("/proc/device-tree", "memory");
	dt_regs("/proc/device-tree/reserved-memory", NULL);
	end("dt-memory", 0);
}

/* the kernel log: all of it, or (delta) what came since the last clear; the buffer is cleared */
static void section_dmesg(const char *name)
{
	begin(name);
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), rc = 0;
	if (size <= 0)
		size = 1 << 20;
	char *buf = malloc((size_t)size);
	int n = buf ? klogctl(4 /* SYSLOG_ACTION_READ_CLEAR */, buf, size) : -1;
	if (n < 0) {
		rc = errno;
		say("klogctl: %s\n", strerror(rc));
	} else {
		wr(buf, (size_t)n);
		if (n > 0 && buf[n - 1] != '\n')
			wr("\n", 1);
	}
	free(buf);
	end(name, rc);
}

/* write a sysfs attribute; prints the command and its result; returns 0 or errno */
static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;
	if (fd < 0)
		rc = errno;
	else {
		if (write(fd, val, strlen(val)) < 0)
			rc = errno;
		close(fd);
	}
	say("echo %s > %s: %s\n", val, path, rc ? strerror(rc) : "ok");
	return rc;
}

/* every attribute of the nd bus devices that says where things are */
static void section_nd(void)
{
	static const char *attrs[] = { "devtype", "mode", "size", "resource", "align", "uuid", "namespace",
		"holder", "numa_node", "target_node", "supported_alignments", "nstype", "available_size" };
	char p[512], v[256];
	begin("nd-sysfs");
	DIR *d = opendir("/sys/bus/nd/devices");
	int rc = 0;
	if (!d) {
		rc = errno;
		say("opendir: %s\n", strerror(rc));
	} else {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			for (unsigned j = 0; j < sizeof attrs / sizeof attrs[0]; j++) {
				snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/%s", e->d_name, attrs[j]);
				if (first_line(p, v, sizeof v) == 0)
					say("%s %s=%s\n", e->d_name, attrs[j], v);
			}
			snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/driver", e->d_name);
			ssize_t n = readlink(p, v, sizeof v - 1);
			if (n > 0) {
				v[n] = 0;
				say("%s driver=%s\n", e->d_name, strrchr(v, '/') ? strrchr(v, '/') + 1 : v);
			}
		}
		closedir(d);
	}
	end("nd-sysfs", rc);
}

/* vl.pmem=fsdax|devdax:dev|mem[:ALIGN-in-bytes]: what `ndctl create-namespace -f -e namespace0.0
 * -m MODE --map=MAP [--align=A]` does on a label-less region, through sysfs: unbind the raw
 * namespace, configure the region's pfn (fsdax) or dax (devdax) seed, probe it */
static int pmem_step(const char *spec)
{
	char mode[16] = "", map[16] = "", align[32] = "", seed[64], p[256];
	sscanf(spec, "%15[^:]:%15[^:]:%31s", mode, map, align);
	int dax = strcmp(mode, "devdax") == 0, rc = 0;
	begin("cmd");
	say("pmem step: mode=%s map=%s align=%s\n", mode, map, align[0] ? align : "(default)");
	put("/sys/bus/nd/drivers/nd_pmem/unbind", "namespace0.0");
	if (first_line(dax ? "/sys/bus/nd/devices/region0/dax_seed" : "/sys/bus/nd/devices/region0/pfn_seed", seed, sizeof seed)) {
		rc = errno;
		say("no %s seed: %s\n", dax ? "dax" : "pfn", strerror(rc));
		goto out;
	}
	say("seed: %s\n", seed);
	snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/uuid", seed);
	if ((rc = put(p, "6d2a7e58-4f4d-4a3b-9c5e-7a1c2b3d4e5f")))
		goto out;
	snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/mode", seed);
	if ((rc = put(p, strcmp(map, "dev") == 0 ? "pmem" : "ram")))
		goto out;
	if (align[0]) {
		snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/align", seed);
		if ((rc = put(p, align)))
			goto out;
	}
	snprintf(p, sizeof p, "/sys/bus/nd/devices/%s/namespace", seed);
	if ((rc = put(p, "namespace0.0")))
		goto out;
	rc = put("/sys/bus/nd/drivers_probe", seed);
out:
	end("cmd", rc);
	return rc;
}

static void section_uname(void)
{
	struct utsname u;
	begin("uname");
	int rc = uname(&u) ? errno : 0;
	if (!rc)
		say("%s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
	end("uname", rc);
}

int main(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	if (fd >= 0)
		out = fd;
	/* the kernel console prints only emergencies from now on: the sections do not interleave
	 * with kernel messages (all of which are in the dmesg-boot section anyway) */
	klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 1);

	say("@@READY\n");
	section_uname();
	section_file("cmdline", "/proc/cmdline");
	section_file("cpuinfo", "/proc/cpuinfo");
	section_file("meminfo", "/proc/meminfo");
	section_file("zoneinfo", "/proc/zoneinfo");
	section_file("iomem", "/proc/iomem");
	put("/proc/sys/vm/stat_refresh", "1"); /* fold the per-cpu counters into /proc/vmstat */
	section_file("vmstat", "/proc/vmstat");
	section_blocks();
	section_hugepages();
	section_dt_memory();
	section_file("ptdump", "/sys/kernel/debug/kernel_page_tables");
	section_nd();
	section_dmesg("dmesg-boot");

	/* optional: one namespace reconfiguration (vl.pmem=), with dynamic debug for the vmemmap */
	char cmdline[4096], *pm;
	if (first_line("/proc/cmdline", cmdline, sizeof cmdline) == 0 && (pm = strstr(cmdline, "vl.pmem="))) {
		char spec[64];
		sscanf(pm + 8, "%63s", spec);
		int fd = open("/sys/kernel/debug/dynamic_debug/control", O_WRONLY);
		if (fd >= 0) {
			const char *q[] = { "file mm/sparse-vmemmap.c +p", "file mm/memremap.c +p", "file mm/mm_init.c +p",
				"file drivers/nvdimm/pfn_devs.c +p" };
			for (unsigned i = 0; i < sizeof q / sizeof q[0]; i++)
				if (write(fd, q[i], strlen(q[i])) < 0)
					say("dyndbg %s: %s\n", q[i], strerror(errno));
			close(fd);
		}
		snap = "1-pmem";
		pmem_step(spec);
		section_nd();
		section_file("iomem", "/proc/iomem");
		section_file("meminfo", "/proc/meminfo");
		section_file("zoneinfo", "/proc/zoneinfo");
		put("/proc/sys/vm/stat_refresh", "1"); /* fold the per-cpu counters into /proc/vmstat */
		section_file("vmstat", "/proc/vmstat");
		section_blocks();
		section_file("ptdump", "/sys/kernel/debug/kernel_page_tables");
		section_dmesg("dmesg-delta");

		/* optional: vl.kmem=movable|mom (memmap_on_memory): what `daxctl reconfigure-device
		 * --mode=system-ram dax0.0` does (unbind device_dax, new_id + bind kmem), then online
		 * the new blocks movable */
		char *km = strstr(cmdline, "vl.kmem=");
		if (km) {
			int mom = strncmp(km + 8, "mom", 3) == 0, rc = 0;
			char v[64], p[256];
			snap = "2-kmem";
			begin("cmd");
			if (mom)
				put("/sys/bus/dax/devices/dax0.0/memmap_on_memory", "1");
			rc = put("/sys/bus/dax/drivers/device_dax/unbind", "dax0.0");
			if (!rc)
				rc = put("/sys/bus/dax/drivers/kmem/new_id", "dax0.0");
			ssize_t n = readlink("/sys/bus/dax/devices/dax0.0/driver", v, sizeof v - 1);
			if (!rc && (n <= 0 || !strstr((v[n > 0 ? n : 0] = 0, v), "kmem")))
				rc = put("/sys/bus/dax/drivers/kmem/bind", "dax0.0");
			for (int b = 0; !rc && b < 4096; b++) {
				snprintf(p, sizeof p, "/sys/devices/system/memory/memory%d/state", b);
				if (first_line(p, v, sizeof v) == 0 && strcmp(v, "offline") == 0)
					put(p, "online_movable");
			}
			end("cmd", rc);
			section_file("iomem", "/proc/iomem");
			section_file("meminfo", "/proc/meminfo");
			put("/proc/sys/vm/stat_refresh", "1");
			section_file("vmstat", "/proc/vmstat");
			section_blocks();
			section_file("ptdump", "/sys/kernel/debug/kernel_page_tables");
			section_dmesg("dmesg-delta");
		}
	}
	/* optional: vl.unbind=NS[,NS...]: unbind each raw namespace from nd_pmem in turn (of_pmem
	 * raw namespaces have a memmap: memunmap_pages -> vmemmap_free), with a snapshot after each.
	 * The kernel console is turned back on first: an oops must reach the console. */
	char *ub;
	if (first_line("/proc/cmdline", cmdline, sizeof cmdline) == 0 && (ub = strstr(cmdline, "vl.unbind="))) {
		char list[256], *save = NULL, name[64];
		sscanf(ub + 10, "%255s", list);
		klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 8);
		int n = 3;
		for (char *ns = strtok_r(list, ",", &save); ns; ns = strtok_r(NULL, ",", &save), n++) {
			static char snapname[96];
			snprintf(snapname, sizeof snapname, "%d-unbind-%s", n, ns);
			snap = snapname;
			begin("cmd");
			snprintf(name, sizeof name, "%s", ns);
			int rc = put("/sys/bus/nd/drivers/nd_pmem/unbind", name);
			end("cmd", rc);
			section_nd();
			section_file("ptdump", "/sys/kernel/debug/kernel_page_tables");
			section_dmesg("dmesg-delta");
		}
	}
	say("@@DONE\n");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
