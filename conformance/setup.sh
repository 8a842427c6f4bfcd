#!/usr/bin/env bash
# vmemmap-lab conformance harness: install and prepare everything a recording needs.
#
#   conformance/setup.sh [x86|arm64|all|tools|tools-arm64|KERNEL-ID...]      (default: x86)
#     x86, arm64, all: the host tools plus the Debian kernels of that arch (kernels.json)
#     tools, tools-arm64: only the host tools and vmemdump (for `vmemlab conformance` with a
#     kernel of your own)
#
# Idempotent. What it does, each part only when missing:
#   1. apt-get install the Debian packages (qemu, busybox-static, ndctl/daxctl, gcc, ...);
#      for arm64 also qemu-system-arm, qemu-efi-aarch64, the cross gcc and `dpkg --add-architecture arm64`
#   2. apt-get download the kernel .debs named in conformance/kernels.json into the cache,
#      extract them with dpkg -x (never installed over the host) and run depmod -b on them
#   3. arm64: apt-get download the arm64 busybox/ndctl/daxctl and their libraries, dpkg -x into a sysroot
#   4. compile guest/vmemdump.c statically (gcc, aarch64-linux-gnu-gcc)
# The cache is $VMEMLAB_CONFORMANCE_CACHE (default /var/cache/vmemlab-conformance), outside git.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${VMEMLAB_CONFORMANCE_CACHE:-/var/cache/vmemlab-conformance}"
export DEBIAN_FRONTEND=noninteractive
log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, dpkg --add-architecture)"
command -v node >/dev/null || die "node is needed (it reads kernels.json)"

# ---- which kernels -------------------------------------------------------------------------
kernel_field() { node -e 'const k=require(process.argv[1]).kernels[process.argv[2]]; if(!k){process.exit(3)} process.stdout.write(String(k[process.argv[3]]??""))' "$HERE/kernels.json" "$1" "$2"; }
# self-built kernels (selfBuilt in kernels.json) are not downloaded: their recipe builds them
all_ids() { node -e 'const j=require(process.argv[1]).kernels; process.stdout.write(Object.keys(j).filter(k=>!j[k].selfBuilt).join(" "))' "$HERE/kernels.json"; }
ids_for_arch() { node -e 'const j=require(process.argv[1]).kernels; process.stdout.write(Object.keys(j).filter(k=>j[k].arch===process.argv[2]&&!j[k].selfBuilt).join(" "))' "$HERE/kernels.json" "$1"; }

targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(x86)
KIDS=()
NEED_ARM64=0
for t in "${targets[@]}"; do
  case "$t" in
    tools) ;;
    tools-arm64) NEED_ARM64=1 ;;
    x86|x86_64) KIDS+=($(ids_for_arch x86_64)) ;;
    arm64) KIDS+=($(ids_for_arch arm64)) ;;
    all) KIDS+=($(all_ids)) ;;
    *) kernel_field "$t" arch >/dev/null || die "unknown target '$t' (x86, arm64, all, or one of: $(all_ids))"
       if [ -n "$(kernel_field "$t" selfBuilt)" ]; then
         log "kernel $t is self-built (not a Debian package): build it with $(node -e 'process.stdout.write(require(process.argv[1]).kernels[process.argv[2]].selfBuilt.recipe)' "$HERE/kernels.json" "$t"); setting up the host tools only"
         [ "$(kernel_field "$t" arch)" = arm64 ] && NEED_ARM64=1
         continue
       fi
       KIDS+=("$t") ;;
  esac
done
for k in "${KIDS[@]+"${KIDS[@]}"}"; do [ "$(kernel_field "$k" arch)" = arm64 ] && NEED_ARM64=1; done

# ---- 1. host packages ----------------------------------------------------------------------
PKGS=(qemu-system-x86 qemu-utils busybox-static cpio ndctl daxctl kmod file xz-utils zstd socat bc gcc libc6-dev binutils)
[ $NEED_ARM64 = 1 ] && PKGS+=(qemu-system-arm qemu-efi-aarch64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
UPDATED=0
apt_update() { if [ $UPDATED = 0 ]; then log "apt-get update"; apt-get update -qq >&2 || log "apt-get update reported errors (continuing)"; UPDATED=1; fi; }
if [ ${#missing[@]} -gt 0 ]; then
  apt_update
  log "installing: ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  log "host packages present"
fi
if [ $NEED_ARM64 = 1 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "dpkg --add-architecture arm64 (to apt-get download the arm64 user space)"
  dpkg --add-architecture arm64
  UPDATED=0; apt_update
fi

mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/bin"
# apt-get download runs as _apt where it can (avoids the "unsandboxed" warning)
chown _apt "$CACHE/debs" 2>/dev/null || true

# ---- 2. kernels ----------------------------------------------------------------------------
for k in "${KIDS[@]+"${KIDS[@]}"}"; do
  pkg="$(kernel_field "$k" package)"; kver="$(kernel_field "$k" kver)"; dir="$CACHE/kernels/$k"
  if [ -f "$dir/.ready" ] && [ "$(cat "$dir/.ready")" = "$pkg" ]; then log "kernel $k ready ($dir)"; continue; fi
  deb=$(ls "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    apt_update
    log "apt-get download $pkg"
    (cd "$CACHE/debs" && apt-get download "$pkg" >&2) || { printf 'setup: error: %s\n' "cannot download $pkg: the archive may have moved on to a newer ABI; update conformance/kernels.json (apt-cache search linux-image)" >&2; exit 3; }
    deb=$(ls "$CACHE/debs/${pkg}_"*.deb | head -1)
  fi
  log "dpkg -x $(basename "$deb") -> $dir"
  rm -rf "$dir"; mkdir -p "$dir"
  dpkg -x "$deb" "$dir"
  [ -f "$dir/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
  # the package ships no modules.dep: build it for busybox modprobe (the initramfs builder
  # decompresses the modules it takes and runs depmod again on its own tree)
  depmod -b "$dir" "$kver"
  echo "$pkg" > "$dir/.ready"
done

# ---- 3. arm64 user space (busybox, ndctl, daxctl and the libraries they need) ----------------
if [ $NEED_ARM64 = 1 ]; then
  SYS="$CACHE/sysroot-arm64"
  ARM_PKGS=(busybox-static ndctl daxctl libndctl6 libdaxctl1 libuuid1 libjson-c5 libkeyutils1 libiniparser1 libc6 libudev1 libkmod2 libzstd1 liblzma5 libssl3 libcap2 libgcc-s1 libtraceevent1 libtracefs1 libsystemd0 liblz4-1 libgcrypt20 libgpg-error0)
  if [ ! -f "$SYS/.ready" ]; then
    apt_update
    mkdir -p "$CACHE/debs/arm64" "$SYS"
    for p in "${ARM_PKGS[@]}"; do
      ls "$CACHE/debs/arm64/${p}_"*_arm64.deb >/dev/null 2>&1 && continue
      (cd "$CACHE/debs/arm64" && apt-get download "$p:arm64" >&2) || log "note: $p:arm64 not downloadable (skipped; the initramfs builder reports a missing library)"
    done
    for d in "$CACHE/debs/arm64/"*_arm64.deb; do dpkg -x "$d" "$SYS"; done
    touch "$SYS/.ready"
  else
    log "arm64 sysroot ready ($SYS)"
  fi
fi

# ---- 4. vmemdump ---------------------------------------------------------------------------
src="$HERE/guest/vmemdump.c"
sum=$(sha256sum "$src" | cut -c1-16)
build() { # compiler output
  if [ -x "$2" ] && [ -f "$2.src" ] && [ "$(cat "$2.src")" = "$sum" ]; then log "$(basename "$2") up to date"; return; fi
  log "compiling $(basename "$2") with $1"
  "$1" -O2 -static -Wall -Wextra -o "$2.tmp" "$src"
  mv "$2.tmp" "$2"; echo "$sum" > "$2.src"
}
build gcc "$CACHE/bin/vmemdump-x86_64"
[ $NEED_ARM64 = 1 ] && build aarch64-linux-gnu-gcc "$CACHE/bin/vmemdump-arm64"
log "done: cache $CACHE"
