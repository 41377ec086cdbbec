# Sourced by tests: `skip_unless CONVBENCH NAME` exits 77 (ctest's skip)
# with the reason `convbench list` gives when algorithm or command NAME was
# compiled out.
skip_unless() {
    local why
    why=$("$1" list | awk -v n="$2" '$1 == n && $2 != "available" {$1 = ""; print; f = 1} END {exit !f}') &&
        { echo "SKIP: $2$why"; exit 77; }
    "$1" list | awk -v n="$2" '$1 == n {f = 1} END {exit !f}' ||
        { echo "FAILED: $2 not in convbench list"; exit 1; }
}
