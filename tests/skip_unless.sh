# Sourced by tests: `skip_unless CONVBENCH NAME` exits 77 (ctest's skip)
# with the reason `convbench list` gives when algorithm or command NAME
# was compiled out.
skip_unless() {
    local line
    line=$("$1" list | awk -v n="$2" '$1 == n {print; exit}')
    [ -n "$line" ] || { echo "FAILED: $2 not in convbench list"; exit 1; }
    case $line in
    *"compiled out"*) echo "SKIP:$line"; exit 77 ;;
    esac
}
