#!/usr/bin/env bash
# Build the conformance guest's initramfs (gzip'd newc cpio):
#   busybox (static) + /init + the NVDIMM/DAX modules and their dependencies (decompressed,
#   depmod'ed) + ndctl/daxctl with the shared libraries they need + vmemdump.
#
#   build-initramfs.sh ARCH MODULES_ROOT KVER OUT.cpio.gz
#     ARCH          x86_64 | arm64
#     MODULES_ROOT  a directory holding lib/modules/KVER (an extracted kernel package, or any
#                   tree laid out the same way); KVER=none builds an image without modules
#                   (for kernels with everything built in)
#   environment: VMEMLAB_CONFORMANCE_CACHE (default /var/cache/vmemlab-conformance): where
#                setup.sh put vmemdump-ARCH and, for arm64, sysroot-arm64/
#
# The per-run steps file is not part of this image: the runner appends a second cpio archive
# holding /steps.sh (the kernel unpacks concatenated archives in order).
set -euo pipefail
ARCH=$1; MROOT=$2; KVER=$3; OUT=$4
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${VMEMLAB_CONFORMANCE_CACHE:-/var/cache/vmemlab-conformance}"
die() { echo "build-initramfs: error: $*" >&2; exit 1; }

case "$ARCH" in
  x86_64) SYS=/; LIBDIRS=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64); BUSYBOX=/bin/busybox ;;
  arm64) SYS="$CACHE/sysroot-arm64"; LIBDIRS=("$SYS/lib/aarch64-linux-gnu" "$SYS/usr/lib/aarch64-linux-gnu" "$SYS/lib"); BUSYBOX="$SYS/bin/busybox"
         [ -d "$SYS" ] || die "no arm64 sysroot at $SYS (run conformance/setup.sh arm64)" ;;
  *) die "unknown arch $ARCH" ;;
esac
VMEMDUMP="$CACHE/bin/vmemdump-$ARCH"
[ -x "$VMEMDUMP" ] || die "no $VMEMDUMP (run conformance/setup.sh)"
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (busybox-static)"

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib,var}
cp "$BUSYBOX" "$T/bin/busybox"
# applet links: the host's busybox-static is the same version as the arm64 one
for a in $(/bin/busybox --list); do [ -e "$T/bin/$a" ] || ln -s busybox "$T/bin/$a"; done
cp "$HERE/init.sh" "$T/init"; chmod 755 "$T/init"
# the snapshot collector of `vmemlab snapshot`, run at the end of every recording
cp "$HERE/../../snapshot/collect.sh" "$T/collect.sh"
cp "$VMEMDUMP" "$T/bin/vmemdump"
echo "root:x:0:0:root:/:/bin/sh" > "$T/etc/passwd"

# ---- user space with its libraries (PT_INTERP + DT_NEEDED, recursively) ----------------------
find_lib() {
  for d in "${LIBDIRS[@]}"; do [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }; done
  return 1
}
declare -A DONE
add_elf() { # path-in-sysroot
  local f=$1 n interp dst
  [ -n "${DONE[$f]:-}" ] && return 0
  DONE[$f]=1
  interp=$(readelf -lW "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  if [ -n "$interp" ]; then
    local src="$SYS/${interp#/}"; [ "$SYS" = / ] && src="$interp"
    mkdir -p "$T$(dirname "$interp")"; cp -L "$src" "$T$interp"
  fi
  for n in $(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    local p; p=$(find_lib "$n") || die "library $n (needed by $(basename "$f")) not found in ${LIBDIRS[*]}"
    dst="$T/lib/$n"
    [ -e "$dst" ] || cp -L "$p" "$dst"
    add_elf "$p"
  done
}
for b in ndctl daxctl; do
  src="$SYS/usr/bin/$b"; [ "$SYS" = / ] && src="/usr/bin/$b"
  [ -x "$src" ] || die "no $src (ndctl/daxctl packages)"
  cp "$src" "$T/usr/bin/$b"
  add_elf "$src"
done
# the loader searches /lib; make the usual multiarch paths point there too
mkdir -p "$T/usr/lib"
case "$ARCH" in
  x86_64) ln -sf /lib "$T/lib/x86_64-linux-gnu"; ln -sf /lib "$T/usr/lib/x86_64-linux-gnu" ;;
  arm64) ln -sf /lib "$T/lib/aarch64-linux-gnu"; ln -sf /lib "$T/usr/lib/aarch64-linux-gnu" ;;
esac

# ---- kernel modules ----------------------------------------------------------------------------
WANT=(nfit nd_pmem dax_pmem device_dax kmem dax_hmem virtio_console)
if [ "$KVER" != none ]; then
  MD="$MROOT/lib/modules/$KVER"
  [ -f "$MD/modules.dep" ] || die "no $MD/modules.dep (depmod -b $MROOT $KVER)"
  declare -A MODS
  resolve() { # module name -> path lines (itself and deps)
    local line
    line=$(grep -E "(^|/)$1\.ko(\.xz|\.zst|\.gz)?:" "$MD/modules.dep" || true)
    [ -n "$line" ] || return 0   # built in or absent: /init reports what modprobe says
    for p in ${line//:/ }; do MODS[$p]=1; done
  }
  for m in "${WANT[@]}"; do resolve "$m"; done
  for p in "${!MODS[@]}"; do
    dst="$T/lib/modules/$KVER/$p"; mkdir -p "$(dirname "$dst")"
    case "$p" in
      *.ko.xz) xz -dc "$MD/$p" > "${dst%.xz}" ;;
      *.ko.zst) zstd -qdc "$MD/$p" > "${dst%.zst}" ;;
      *.ko.gz) gzip -dc "$MD/$p" > "${dst%.gz}" ;;
      *) cp "$MD/$p" "$dst" ;;
    esac
  done
  mkdir -p "$T/lib/modules/$KVER"   # a kernel with everything built in has no module to copy
  for f in modules.builtin modules.builtin.modinfo modules.order; do [ -f "$MD/$f" ] && cp "$MD/$f" "$T/lib/modules/$KVER/"; done
  depmod -b "$T" "$KVER"
fi

(cd "$T" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-initramfs: $OUT ($(du -h "$OUT" | cut -f1)), $(find "$T/lib/modules" -name '*.ko' 2>/dev/null | wc -l) modules" >&2
