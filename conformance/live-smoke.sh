#!/usr/bin/env bash
# Conformance harness smoke test for CI: boots one small x86 case end to end with the real
# Debian 6.12 kernel (setup if needed, record into a temporary directory, compare with the
# model). Exit 0 only if the guest finished, the layout matched the scenario and every
# difference from the model is listed in the case's known-differences.json.
#   conformance/live-smoke.sh [CASE]      (default x86-612-fsdax-dev; ~20 s of QEMU, plus setup)
set -euo pipefail
cd "$(dirname "$0")/.."
CASE="${1:-x86-612-fsdax-dev}"
[ -f "conformance/cases/$CASE/scenario.yaml" ] || { echo "live-smoke: no case $CASE" >&2; exit 2; }
bash conformance/setup.sh x86-6.12
out=$(mktemp -d "${TMPDIR:-/tmp}/vmemlab-live-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
# A guest under TCG now and then dies while booting, before any step (seen: an int3 oops in
# sched_clock_cpu during text patching, 1 run in about 10): one more boot then. A difference
# from the model is not retried away: record.ts prints it, and a second failure fails CI.
if ! npx tsx conformance/record.ts "$CASE" --out "$out" --strict; then
  if grep -q 'Kernel panic\|end trace' "${TMPDIR:-/tmp}/vmemlab-conformance/$CASE/console.log" 2>/dev/null; then
    echo "live-smoke: the guest kernel crashed (console.log above); booting once more" >&2
    npx tsx conformance/record.ts "$CASE" --out "$out" --strict
  else
    exit 1
  fi
fi
test -s "$out/$CASE/recording.json" && test -s "$out/$CASE/raw.txt.gz"
echo "live-smoke: $CASE recorded and compared: OK"
