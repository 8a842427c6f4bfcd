#!/usr/bin/env bash
# Print the facts table of docs/conformance-ppc64-s390x.md from recordings/*/console.log
# (markdown rows). Not CI.   facts.sh [CASE...]
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/recordings"
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(*/)
sec() { awk -v b="===== BEGIN $2 $3 =====" -v e="===== END $2 $3 " 'index($0,b)==1{on=1;next} index($0,e)==1{on=0} on' "$1"; }
echo "| case | kernel | MMU / page | block size | blocks at boot | Page orders (hash) | vmemmap | vmemmap mappings per snapshot (leaves: virt -> phys) | MemTotal kB per snapshot | notes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  c=${c%/}
  if [ -f "$c/console.log" ]; then tr -d '\r' < "$c/console.log" > /tmp/facts.$$
  elif [ -f "$c/console.log.gz" ]; then zcat "$c/console.log.gz" | tr -d '\r' > /tmp/facts.$$
  else continue; fi
  f=/tmp/facts.$$
  kr=$(sec "$f" 0-boot uname | awk '{print $3}')
  mmu=$(grep -a -m1 -E '^MMU' "$f" | sed 's/.*: *//')
  if [ -z "$mmu" ] && grep -a -q -m1 -E '^features' "$f"; then
    if grep -a -m1 -E '^features' "$f" | grep -q -w edat; then mmu="s390, edat"; else mmu="s390, no edat"; fi
  fi
  pg=$(awk '/^===== BEGIN pagesize =====/{getline; print; exit}' "$f")
  bs=$(sec "$f" 0-boot memory-blocks | sed -n 's/^block_size_bytes=//p'); bs=$(( 16#${bs:-0} / 1048576 ))
  nb=$(sec "$f" 0-boot memory-blocks | grep -c '^memory[0-9]')
  po=$(grep -a -m1 -o 'Page orders:.*' "$f" | sed 's/Page orders: //')
  vm=$(grep -a -m1 -o -E 'INFO vmemmap ?= ?0x[0-9a-f]*' "$f" | sed -E 's/INFO vmemmap ?= ?//')
  [ -z "$vm" ] && vm=$(grep -a -m1 -o 'vmemmap start *= *0x[0-9a-f]*' "$f" | sed 's/.*= *//')
  maps=""; mt=""
  for t in 0-boot $(grep -a -o '^########## SNAPSHOT [^ ]*' "$f" | awk '{print $3}'); do
    l=$(sec "$f" "$t" vmemwalk | grep -E '^(PUD|PMD|PTE|R3|SEG) ' | awk '{n++; if (n <= 6) printf "%s %s->%s; ", $1, $2, $5} END {if (n > 6) printf "... %d runs in all; ", n}')
    sm=$(sec "$f" "$t" vmemwalk | sed -n 's/^SUMMARY leaves //p' | sed 's/; tables.*range:/; tables/')
    [ -n "$sm" ] && l="$l($sm) "
    n=$(sec "$f" "$t" vmemwalk | grep -c '^BLOCK ')
    if [ "$n" -gt 0 ]; then
      fv=$(sec "$f" "$t" vmemwalk | grep '^BLOCK ' | head -1 | awk '{print $3}')
      lv=$(sec "$f" "$t" vmemwalk | grep '^BLOCK ' | tail -1 | awk '{print $3}')
      l="$l vmemmap_list: $n blocks, step $(sec "$f" "$t" vmemwalk | sed -n 's/INFO smallest step between entries: //p'), virt $fv..$lv; "
    fi
    m=$(sec "$f" "$t" meminfo | awk '/^MemTotal/{print $2}')
    maps="$maps**$t**: $l "; mt="$mt$t=$m "
  done
  notes=$(grep -a -h -o -E 'The maximum memory size is [0-9]+MB|Standby memory at [^ ]* \([^)]*\)|WARNING: Ignoring cmdline option disable_radix|Offlined Pages [0-9]+|hot-add [0-9]+ LMB|memmap_on_memory=[A-Za-z]+|memory offlining \[mem [^]]*\] failed[a-z ]*|Memory indexed-count-remove failed|failed to reconfigure namespace: [A-Za-z ]+|HPT resize to shift [0-9]+|ERROR: [a-z ]+' "$f" | sort | uniq -c | awk '{$1=$1" x"; print}' | paste -sd';' -)
  echo "| $c | $kr | $mmu / $pg | ${bs} MiB | $nb | $po | $vm | $maps | $mt | $notes |"
done
rm -f /tmp/facts.$$
