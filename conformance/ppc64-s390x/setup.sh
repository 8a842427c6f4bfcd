#!/usr/bin/env bash
# Fetch and prepare what run.sh needs for the ppc64el / s390x recordings. Run as root, by hand;
# not used by CI. Nothing here is installed over the host except the amd64 cross compilers.
#   setup.sh
# Cache: $VMEMLAB_PPC_CACHE (default /var/cache/vmemlab-ppc-s390x), outside git.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${VMEMLAB_PPC_CACHE:-/var/cache/vmemlab-ppc-s390x}"
export DEBIAN_FRONTEND=noninteractive
for a in ppc64el s390x; do dpkg --print-foreign-architectures | grep -qx $a || dpkg --add-architecture $a; done
# the 6.12 kernels come from bookworm-backports: add it for the download only
BP=/etc/apt/sources.list.d/tmp-bookworm-backports.sources
cat > "$BP" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt-get update || true   # bookworm-security's ppc64el index failed here (see the doc); s390x has none
apt-get install -y --no-install-recommends qemu-system-ppc qemu-system-misc busybox-static cpio socat \
  gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross gcc-s390x-linux-gnu libc6-dev-s390x-cross
mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/sysroot-ppc64el" "$CACHE/sysroot-s390x"
chown _apt "$CACHE/debs" 2>/dev/null || true
(cd "$CACHE/debs" && apt-get download \
  linux-image-6.1.0-50-powerpc64le:ppc64el linux-image-6.12.95+deb12-powerpc64le-64k:ppc64el \
  linux-image-6.12.95+deb12-powerpc64le:ppc64el linux-image-6.1.0-50-s390x:s390x linux-image-6.12.95+deb12-s390x:s390x \
  busybox-static:ppc64el busybox-static:s390x ndctl:ppc64el daxctl:ppc64el libndctl6:ppc64el libdaxctl1:ppc64el \
  libuuid1:ppc64el libjson-c5:ppc64el libkeyutils1:ppc64el libiniparser1:ppc64el libc6:ppc64el libudev1:ppc64el \
  libkmod2:ppc64el libzstd1:ppc64el liblzma5:ppc64el libssl3:ppc64el libcap2:ppc64el libgcc-s1:ppc64el)
rm -f "$BP"; apt-get update -qq || true
for d in "$CACHE"/debs/linux-image-*.deb; do
  n=$(basename "$d" .deb); n=${n#linux-image-}; n=${n%%_*}
  [ -d "$CACHE/kernels/$n" ] || dpkg-deb -x "$d" "$CACHE/kernels/$n"
done
for d in "$CACHE"/debs/*_ppc64el.deb; do case $d in *linux-image*) ;; *) dpkg-deb -x "$d" "$CACHE/sysroot-ppc64el" ;; esac; done
dpkg-deb -x "$CACHE"/debs/busybox-static_*_s390x.deb "$CACHE/sysroot-s390x"
# s390x 6.1: symbols for the walker (no KALLSYMS_ALL; the vmlinuz payload is a raw image). 433 MB .deb,
# only the vmlinux (205 MB) is extracted
(cd "$CACHE/debs" && apt-get download linux-image-6.1.0-50-s390x-dbg:s390x)
mkdir -p "$CACHE/kernels/6.1.0-50-s390x/dbg"
dpkg-deb --fsys-tarfile "$CACHE"/debs/linux-image-6.1.0-50-s390x-dbg_*.deb |
  tar -x -C "$CACHE/kernels/6.1.0-50-s390x/dbg" ./usr/lib/debug/boot/vmlinux-6.1.0-50-s390x
powerpc64le-linux-gnu-gcc -O2 -static -Wall -o "$CACHE/vmemwalk-ppc64el" "$HERE/vmemwalk.c"
s390x-linux-gnu-gcc -O2 -static -Wall -o "$CACHE/vmemwalk-s390x" "$HERE/vmemwalk-s390.c"
echo "setup: done ($CACHE)"
