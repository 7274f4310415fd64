#!/usr/bin/env bash
# The dependency test: every file the CMake configure step took from the system (the list
# cmake/system_files.cmake writes into the build directory) must belong to a Debian package that
# scripts/deps.sh installs, or that one of those hard-depends on (Depends / Pre-Depends,
# recursively; Recommends do not count, as deps.sh installs with --no-install-recommends).
# Files that no Debian package owns (the CUDA toolkit in /usr/local/cuda) are listed as such.
#
# usage: check_deps.sh SYSTEM_FILES DEPS_SH
# BECORE_DEPS_WITHOUT="pkg ..." drops packages from deps.sh's list first: the test of this test
# shows that the check fails, naming the file and the package, when one is missing.
# Exit: 0 every required file is covered; 1 some are not; 77 not a dpkg system (skipped).
set -euo pipefail
files_list=$1
deps_sh=$2
if ! command -v dpkg-query >/dev/null; then
  echo "SKIPPED: dpkg-query not found: not a Debian system, nothing to check"
  exit 77
fi
[ -s "$files_list" ] || { echo "no file list at $files_list (configure writes it)"; exit 1; }

mapfile -t listed < <(bash "$deps_sh" --list)
for drop in ${BECORE_DEPS_WITHOUT:-}; do
  for i in "${!listed[@]}"; do [ "${listed[$i]}" = "$drop" ] && unset 'listed[i]'; done
done
echo "deps.sh lists ${#listed[@]} packages${BECORE_DEPS_WITHOUT:+ (without: $BECORE_DEPS_WITHOUT)}"

# Every path is looked up as given, as the file it resolves to (/usr/bin/c++ is an alternatives
# link no package owns) and on the other side of the merged /usr, all in one dpkg-query call
# (a call per path costs ~0.5 s). owners_of prints the owning packages, ":arch" stripped.
candidates_of() {
  printf '%s\n' "$1" "$(realpath -e "$1" 2>/dev/null)" "${1/#\/usr\/lib\//\/lib\/}" "${1/#\/lib\//\/usr\/lib\/}" |
    awk 'NF && !seen[$0]++'
}
mapfile -t all_candidates < <(cut -f2 "$files_list" | while read -r p; do candidates_of "$p"; done | sort -u)
ownership=$(dpkg-query -S "${all_candidates[@]}" 2>/dev/null | awk '
  { i = index($0, ": "); n = split(substr($0, 1, i - 1), a, ", ")
    for (k = 1; k <= n; k++) { sub(/:.*/, "", a[k]); print substr($0, i + 2) "\t" a[k] } }' || true)
owners_of() {
  local p out
  while read -r p; do
    out=$(awk -F'\t' -v p="$p" '$1 == p { print $2 }' <<<"$ownership")
    if [ -n "$out" ]; then echo "$out"; return; fi
  done < <(candidates_of "$1")
}

# For every listed package, the installed packages it brings in through hard dependencies. Each
# alternative group counts by its first member (what apt picks when none is installed); a
# virtual package by its installed providers.
closure=$(dpkg-query -W -f='${Package}\t${db:Status-Status}\t${Depends}\t${Pre-Depends}\t${Provides}\n' |
  awk -F'\t' -v roots="${listed[*]}" '
    function bare(s) { gsub(/\(.*\)/, "", s); gsub(/:[a-z0-9]+/, "", s); gsub(/[ \t]/, "", s); return s }
    $2 == "installed" {
      installed[$1] = 1
      deps[$1] = $3 (($3 != "" && $4 != "") ? ", " : "") $4
      n = split($5, pv, ",")
      for (i = 1; i <= n; i++) { v = bare(pv[i]); if (v != "") providers[v] = providers[v] " " $1 }
    }
    END {
      nr = split(roots, r, " ")
      for (k = 1; k <= nr; k++) {
        root = r[k]; delete seen; top = 0
        if (!(root in installed)) { print root "\t!notinstalled"; continue }
        stack[++top] = root; seen[root] = 1
        while (top > 0) {
          pkg = stack[top--]; print root "\t" pkg
          ng = split(deps[pkg], groups, ",")
          for (g = 1; g <= ng; g++) {
            split(groups[g], alts, "|"); d = bare(alts[1])
            if (d == "") continue
            if (d in installed) cand = d; else cand = providers[d]
            nc = split(cand, cs, " ")
            for (c = 1; c <= nc; c++) if (!(cs[c] in seen)) { seen[cs[c]] = 1; stack[++top] = cs[c] }
          }
        }
      }
    }')

status=0
not_installed=$(awk -F'\t' '$2 == "!notinstalled" { print $1 }' <<<"$closure")
if [ -n "$not_installed" ]; then
  echo "FAIL: listed in deps.sh but not installed (run scripts/deps.sh): $(echo $not_installed)"
  status=1
fi
declare -A sole=()
while IFS=$'\t' read -r var path need; do
  owners=$(owners_of "$path")
  if [ -z "$owners" ]; then
    case "$path" in
      *"(a directory: "*) echo "FAIL: $var: $path"; status=1 ;;
      *) echo "outside Debian's packages: $var = $path" ;;
    esac
    continue
  fi
  coverers=$(awk -F'\t' -v owners="$(echo $owners)" '
    BEGIN { n = split(owners, o, " "); for (i = 1; i <= n; i++) want[o[i]] = 1 }
    ($2 in want) && !($1 in done) { done[$1] = 1; printf "%s ", $1 }' <<<"$closure")
  if [ -n "$coverers" ]; then
    echo "ok: $var = $path ($(echo $owners) via ${coverers% })"
    [ "$(wc -w <<<"$coverers")" -eq 1 ] && sole[${coverers% }]=1
  elif [ "$need" = optional ]; then
    echo "optional, not checked: $var = $path ($(echo $owners))"
  else
    first=$(head -n 1 <<<"$owners")
    echo "FAIL: $path ($var, found by the configure step) comes from the Debian package" \
         "'$first', which scripts/deps.sh neither lists nor hard-depends on: add '$first' to scripts/deps.sh"
    status=1
  fi
done <"$files_list"

for p in "${listed[@]}"; do
  [ -n "${sole[$p]:-}" ] || echo "note: no configure file needs '$p' alone (pulled in by another, or needed beyond configure)"
done
[ $status -eq 0 ] && echo "every file the configure step took from the system is installed by scripts/deps.sh"
exit $status
