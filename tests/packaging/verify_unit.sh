#!/usr/bin/env bash
# systemd-analyze verify on packaging/bitveil.service, with ExecStart pointing at the binary under test (verify
# checks that the executable exists). usage: verify_unit.sh UNIT BITVEIL   -- exit 0 pass, 1 fail, 77 skipped.
set -euo pipefail
unit=$1 bitveil=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/bin/bitveil|$bitveil|" "$unit" >"$dir/bitveil.service"
grep -q "^ExecStart=$bitveil daemon " "$dir/bitveil.service" || { echo "FAIL: ExecStart does not run 'bitveil daemon'"; exit 1; }
if ! out=$(systemd-analyze verify "$dir/bitveil.service" 2>&1) || [[ -n $out ]]; then
  echo "FAIL: systemd-analyze verify: $out"
  exit 1
fi
# The options the unit passes must be the daemon's.
"$bitveil" daemon --help >/dev/null
for option in $(grep '^ExecStart=' "$unit" | grep -o -- '--[a-z-]*'); do
  "$bitveil" daemon --help | grep -q -- "$option" || { echo "FAIL: bitveil daemon has no $option"; exit 1; }
done
echo "PASS: $unit verifies"
