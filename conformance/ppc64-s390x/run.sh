#!/usr/bin/env bash
# Boot one Debian ppc64el or s390x kernel under QEMU (TCG) with the initramfs of
# build-initramfs.sh and record the console. Not used by CI; run by hand (see
# docs/conformance-ppc64-s390x.md). One guest at a time, under nice.
#
#   run.sh -a ppc64el|s390x -k KERNEL_DIR_NAME -n CASE [-m MEMSPEC] [-M MACHINE_OPTS]
#          [-c CPU] [-A EXTRA_APPEND] [-X "EXTRA QEMU ARGS"] [-s STEPS] [-t TIMEOUT_S]
#
#   KERNEL_DIR_NAME  a directory under $CACHE/kernels (dpkg-deb -x of the linux-image .deb)
#   MEMSPEC          -m value, default 2G
#   STEPS            vl.steps for init.sh, e.g. hotplug:d1:1024,unplug:d1
# Writes recordings/CASE/{console.log,host.log}. The guest asks for DIMMs on its console
# (@@HOTPLUG_REQUEST / @@UNPLUG_REQUEST); this script answers through the HMP monitor socket.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${VMEMLAB_PPC_CACHE:-/var/cache/vmemlab-ppc-s390x}"
ARCH=ppc64el; KDIR=; CASE=; MEM=2G; MOPTS=; CPU=; APPEND=; EXTRA=; STEPS=; TMO=900
while getopts a:k:n:m:M:c:A:X:s:t: o; do
  case $o in
    a) ARCH=$OPTARG ;; k) KDIR=$OPTARG ;; n) CASE=$OPTARG ;; m) MEM=$OPTARG ;; M) MOPTS=$OPTARG ;;
    c) CPU=$OPTARG ;; A) APPEND=$OPTARG ;; X) EXTRA=$OPTARG ;; s) STEPS=$OPTARG ;; t) TMO=$OPTARG ;;
    *) exit 2 ;;
  esac
done
[ -n "$KDIR" ] && [ -n "$CASE" ] || { echo "usage: see header" >&2; exit 2; }
OUTD="$HERE/recordings/$CASE"; mkdir -p "$OUTD"
INITRD="$CACHE/initrd-$ARCH.cpio.gz"
"$HERE/build-initramfs.sh" "$ARCH" "$INITRD" 2>>"$OUTD/host.log"
K="$CACHE/kernels/$KDIR/boot"
SOCK=$(mktemp -u /tmp/vl-mon.XXXXXX)
CON="$OUTD/console.log"; HOST="$OUTD/host.log"; : > "$CON"
case "$ARCH" in
  ppc64el)
    QEMU=(qemu-system-ppc64 -M "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off$MOPTS"
          -cpu "${CPU:-power9}" -kernel "$(ls "$K"/vmlinux-*)")
    CONSOLE=hvc0
    # addresses for vmemwalk when /proc/kallsyms has no data symbols (no KALLSYMS_ALL);
    # book3s64 kernels run at their link address (no KASLR)
    SYMS=$(powerpc64le-linux-gnu-nm "$(ls "$K"/vmlinux-*)" 2>/dev/null | awk '$3=="vmemmap"||$3=="vmemmap_list"||$3=="swapper_pg_dir"{printf "%s%s=%s", s, $3, $1; s=","}')
    [ -n "$SYMS" ] && APPEND="$APPEND vl.syms=$SYMS" ;;
  s390x)
    QEMU=(qemu-system-s390x -M "s390-ccw-virtio$MOPTS" -kernel "$(ls "$K"/vmlinuz-*)")
    [ -n "$CPU" ] && QEMU+=(-cpu "$CPU")
    CONSOLE=ttysclp0
    # 6.1 has no KALLSYMS_ALL and its vmlinuz holds no symbols: take them from the -dbg vmlinux
    # when setup.sh extracted it (KASLR is off under TCG: "KASLR disabled: CPU has no PRNG")
    DBG=$(ls "$CACHE/kernels/$KDIR"/dbg/usr/lib/debug/boot/vmlinux-* 2>/dev/null | head -1 || true)
    if [ -n "$DBG" ]; then
      SYMS=$(s390x-linux-gnu-nm "$DBG" | awk '$3=="vmemmap"||$3=="vmemmap_size"||$3=="swapper_pg_dir"||$3=="ident_map_size"||$3=="VMALLOC_START"||$3=="__abs_lowcore"{printf "%s%s=%s", s, $3, $1; s=","}')
      [ -n "$SYMS" ] && APPEND="$APPEND vl.syms=$SYMS"
    fi ;;
esac
QEMU+=(-accel tcg -smp 1 -m "$MEM" -display none -no-reboot -serial "file:$CON"
       -monitor "unix:$SOCK,server=on,wait=off" -initrd "$INITRD"
       -append "console=$CONSOLE panic=-1 log_buf_len=4M no_hash_pointers $APPEND vl.steps=$STEPS")
# shellcheck disable=SC2206
[ -n "$EXTRA" ] && QEMU+=($EXTRA)
{ echo "##### $(date -u +%FT%TZ) case $CASE"; printf '%q ' nice -n 10 "${QEMU[@]}"; echo; } >> "$HOST"
nice -n 10 "${QEMU[@]}" 2>>"$HOST" &
QPID=$!
mon() { # HMP command; the answer goes to host.log
  echo "## monitor: $*" >> "$HOST"
  { echo "$*"; sleep 2; } | socat - "UNIX-CONNECT:$SOCK" 2>&1 | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >> "$HOST" || true
}
handled=0; t0=$(date +%s); result=timeout
while kill -0 $QPID 2>/dev/null; do
  sleep 1
  mapfile -t reqs < <(grep -a -E '^@@(HOTPLUG|UNPLUG)_REQUEST' "$CON" || true)
  while [ $handled -lt ${#reqs[@]} ]; do
    r=${reqs[$handled]}; handled=$((handled + 1))
    echo "## guest: $r" >> "$HOST"
    id=$(sed -n 's/.* id=\([^ ]*\).*/\1/p' <<<"$r")
    case "$r" in
      @@HOTPLUG_REQUEST*)
        size=$(sed -n 's/.* size=\([0-9]*\).*/\1/p' <<<"$r")
        mon "object_add memory-backend-ram,id=mem-$id,size=$size"
        mon "device_add pc-dimm,id=$id,memdev=mem-$id"
        mon "info memory-devices" ;;
      @@UNPLUG_REQUEST*)
        mon "device_del $id"
        sleep 20
        mon "info memory-devices" ;;
    esac
  done
  if grep -a -q '^@@DONE' "$CON"; then result=done; fi
  if [ $(( $(date +%s) - t0 )) -gt "$TMO" ]; then echo "## timeout after ${TMO}s: quitting QEMU" >> "$HOST"; mon quit; break; fi
done
rc=0; wait $QPID 2>/dev/null || rc=$?
echo "##### $(date -u +%FT%TZ) qemu exit $rc, result $result, wall $(( $(date +%s) - t0 ))s" >> "$HOST"
rm -f "$SOCK"
echo "$CASE: $result (qemu rc $rc, $(( $(date +%s) - t0 ))s)"
