#!/usr/bin/env bash
# FFTW planning: measure-effort plans are saved to the wisdom file (FFTW's
# format, committed through a temporary file) and the next run with it
# leaves it whole. The planning times of both runs are printed, not
# asserted: a timed assertion fails on a loaded machine (it did, in the
# sanitizer build under load); what wisdom saves is a benchmark's matter.
set -u
cb=$1
. "$(dirname "$0")/skip_unless.sh"
skip_unless "$cb" fft
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
d=mb1ic16ih24oc16kh5ph2
run() { "$cb" bench --algo fft --desc $d --fft-effort measure --fft-wisdom "$tmp/w" \
        --min-ms 1 --min-reps 1 --threads 1 --csv "$1" --quiet >/dev/null; }
run "$tmp/a.csv" || { echo "FAILED: first run"; exit 1; }
[ -s "$tmp/w" ] || { echo "FAILED: no wisdom written to $tmp/w"; exit 1; }
grep -q fftw "$tmp/w" || { echo "FAILED: wisdom file is not FFTW wisdom"; exit 1; }
run "$tmp/b.csv" || { echo "FAILED: second run"; exit 1; }
ls "$tmp"/w.tmp* >/dev/null 2>&1 && { echo "FAILED: temporary wisdom file left"; exit 1; }
py=$(command -v /usr/bin/python3 || command -v python3)
"$py" - "$tmp/a.csv" "$tmp/b.csv" <<'PY'
import csv, sys
a, b = (float(next(csv.DictReader(open(f)))["plan_ms"]) for f in sys.argv[1:3])
print("plan_ms without wisdom %.2f, with wisdom %.2f" % (a, b))
PY
grep -q fftw "$tmp/w" || { echo "FAILED: second run broke the wisdom file"; exit 1; }
echo "fft wisdom: 4 passed, 0 failed"
