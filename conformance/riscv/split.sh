#!/bin/bash
# Split a recording's console.log into one file per section (sections/<name>.txt for the boot
# snapshot, sections/<snapshot>-<name>.txt for later ones, e.g. 1-pmem-ptdump.txt; CR removed),
# then gzip console.log and every section file over 40 KB. Run by boot.sh; idempotent.
#   bash conformance/riscv/split.sh recordings/<case>
set -euo pipefail
dir=${1:?recording dir}
log=$dir/console.log
[ -f "$log" ] || { gunzip -k "$log.gz"; trap 'rm -f "$log"' EXIT; }
rm -rf "$dir/sections"; mkdir -p "$dir/sections"
tr -d '\r' < "$log" | awk -v d="$dir/sections" '
  /^===== BEGIN [^ ]+ [^ ]+ =====$/ { f = d "/" ($3 == "0-boot" ? "" : $3 "-") $4 ".txt"; next }
  /^===== END [^ ]+ [^ ]+ \(rc=-?[0-9]+\) =====$/ { close(f); f = ""; next }
  f != "" { print > f }'
[ -f "$log" ] && [ ! -f "$log.gz" ] && gzip -9 "$log"
for f in "$dir"/sections/*.txt; do [ "$(stat -c %s "$f")" -gt 40000 ] && gzip -9 "$f"; done
ls "$dir/sections" | tr '\n' ' '; echo
