#!/usr/bin/env bash
# Build the ppc64el or s390x guest initramfs (gzip'd newc cpio) for run.sh. Not used by CI.
#
#   build-initramfs.sh ppc64el|s390x OUT.cpio.gz
#
# Needs (see setup.sh): $CACHE/sysroot-<arch>/ with busybox (busybox-static:<arch>) and, for
# ppc64el, ndctl/daxctl and their libraries extracted from the ppc64el .debs; the static
# walker $CACHE/vmemwalk-ppc64el. No kernel modules: the Debian ppc64el/s390x kernels have
# no LIBNVDIMM, and memory hotplug (pseries DLPAR, s390 sclp) is built in.
set -euo pipefail
ARCH=$1; OUT=$2
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${VMEMLAB_PPC_CACHE:-/var/cache/vmemlab-ppc-s390x}"
SYS="$CACHE/sysroot-$ARCH"
die() { echo "build-initramfs: error: $*" >&2; exit 1; }
[ -x "$SYS/bin/busybox" ] || die "no $SYS/bin/busybox (run setup.sh)"
case "$ARCH" in
  ppc64el) TRIPLET=powerpc64le-linux-gnu ;;
  s390x) TRIPLET=s390x-linux-gnu ;;
  *) die "unknown arch $ARCH" ;;
esac

T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib,var}
cp "$SYS/bin/busybox" "$T/bin/busybox"
# applet list: the host's busybox-static is the same version (1.35.0)
for a in $(/bin/busybox --list); do [ -e "$T/bin/$a" ] || ln -s busybox "$T/bin/$a"; done
cp "$HERE/init.sh" "$T/init"; chmod 755 "$T/init"
cp "$HERE/../../snapshot/collect.sh" "$T/collect.sh"
echo "root:x:0:0:root:/:/bin/sh" > "$T/etc/passwd"
[ -x "$CACHE/vmemwalk-$ARCH" ] && cp "$CACHE/vmemwalk-$ARCH" "$T/bin/vmemwalk"

if [ -x "$SYS/usr/bin/ndctl" ]; then
  LIBDIRS=("$SYS/lib/$TRIPLET" "$SYS/usr/lib/$TRIPLET" "$SYS/lib64" "$SYS/lib")
  find_lib() { for d in "${LIBDIRS[@]}"; do [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }; done; return 1; }
  declare -A DONE
  add_elf() {
    local f=$1 n interp p
    [ -n "${DONE[$f]:-}" ] && return 0
    DONE[$f]=1
    interp=$(readelf -lW "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    if [ -n "$interp" ]; then
      # the sysroot's /lib64/ld64.so.2 is an absolute symlink: take the loader by name
      mkdir -p "$T$(dirname "$interp")"; cp -L "$(find_lib "$(basename "$interp")")" "$T$interp"
    fi
    for n in $(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      p=$(find_lib "$n") || die "library $n (needed by $(basename "$f")) not found"
      [ -e "$T/lib/$n" ] || cp -L "$p" "$T/lib/$n"
      add_elf "$p"
    done
  }
  for b in ndctl daxctl; do cp "$SYS/usr/bin/$b" "$T/usr/bin/$b"; add_elf "$SYS/usr/bin/$b"; done
  mkdir -p "$T/usr/lib"
  ln -sf /lib "$T/lib/$TRIPLET"; ln -sf /lib "$T/usr/lib/$TRIPLET"
fi
(cd "$T" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "build-initramfs: $OUT ($(du -h "$OUT" | cut -f1))" >&2
