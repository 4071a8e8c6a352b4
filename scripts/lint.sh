#!/usr/bin/env bash
# `make lint`: what the compiler does not check.  Format, functions we never call on network input,
# assignments inside conditions, the layering rules of STYLE.md section 1, and cppcheck.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
fail() { echo "lint: $*"; status=1; }

files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')
if ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
    fail "clang-format would change these files (run make format):"
    clang-format --dry-run $files 2>&1 | grep -o '^[^:]*' | sort -u | sed 's/^/  /'
fi
banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf)\s*\(' $(git ls-files 'src/*.c') || true)
[[ -n $banned ]] && fail "banned functions:"$'\n'"$banned"
assign=$(grep -nE '\bif \(\(?[a-z_>.-]+ = [^=]' $(git ls-files 'src/*.c') || true)
[[ -n $assign ]] && fail "assignment inside a condition:"$'\n'"$assign"

# Layering: lower layers never include upper ones.
layer() { # dir, forbidden include prefixes...
    local dir=$1; shift
    for p in "$@"; do
        hits=$(grep -nE "#include \"$p/" $(git ls-files "src/$dir/*") 2>/dev/null || true)
        [[ -n $hits ]] && fail "src/$dir must not include $p/:"$'\n'"$hits"
    done
}
layer core graph auth odata store api http cmd
layer graph auth odata store api http cmd
layer auth graph odata store api http cmd
layer store auth api http cmd
layer api http cmd
layer cli auth graph odata store api http cmd

if command -v cppcheck >/dev/null; then
    out=$(cppcheck --quiet --enable=warning,portability --inline-suppr --error-exitcode=1 \
        -Isrc --suppress=missingIncludeSystem src 2>&1) || fail "cppcheck:"$'\n'"$out"
fi
((status == 0)) && echo "lint: ok"
exit $status
