#!/bin/bash
# The riscv64 boot recorder's initramfs: one static /init (init.c) and /dev/console.
# Needs gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, cpio, gzip; run as root (mknod).
#   bash conformance/riscv/build-initramfs.sh OUT.cpio.gz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-initramfs.sh OUT.cpio.gz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/dev" "$tmp/root/proc" "$tmp/root/sys"
riscv64-linux-gnu-gcc -O2 -static -Wall -Wextra -o "$tmp/root/init" "$here/init.c"
riscv64-linux-gnu-strip "$tmp/root/init"
mknod "$tmp/root/dev/console" c 5 1
(cd "$tmp/root" && find . | sort | cpio -o -H newc --quiet | gzip -9) > "$out"
echo "initramfs: $out ($(stat -c %s "$out") bytes)"
