#!/usr/bin/env bash
# A regression suite: run SUITE with two installed versions of one library, each
# in its own virtual environment (the rest of the lock unchanged), then compare
# B against A with `python -m bench compare`. `make regress LIB=optuna A=4.9.0
# B=5.0.0 SUITE=quick` calls it; the exit status is compare's (--fail-on worse:
# 1 if B is worse on some objective x checkpoint cell).
#
#   scripts/regress.sh LIB VERSION_A VERSION_B SUITE [RESULTS] [extra `bench run` flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -lt 4 ]; then
    echo "usage: scripts/regress.sh LIB VERSION_A VERSION_B SUITE [RESULTS] [bench run flags...]" >&2
    exit 2
fi
lib=$1 version_a=$2 version_b=$3 suite=$4 results=${5:-results/regress}
shift $(( $# < 5 ? $# : 5 ))
python=${PYTHON:-python3}
pinned="$(mktemp)"
trap 'rm -f "$pinned"' EXIT
# the lock without LIB's own line: each environment pins LIB to its version instead
grep -viE "^${lib//-/[-_]}==" constraints.txt > "$pinned"

for version in "$version_a" "$version_b"; do
    venv=".venv-regress/$lib-$version"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip show -q "$lib" 2>/dev/null \
        | grep -qx "Version: $version"; then
        echo "== $venv: the lock with $lib==$version"
        $python -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" scripts/install_torch.py
        PYTHONWARNINGS='ignore:Editable installation' \
            "$venv/bin/python" -m pip install --quiet -c "$pinned" -e '.[gp]' "$lib==$version"
    fi
    echo "== $suite with $lib $version -> $results/$lib-$version/$suite"
    "$venv/bin/python" -m bench run "$suite" --results "$results/$lib-$version" "$@"
done

echo "== B ($lib $version_b) against A ($lib $version_a)"
exec .venv/bin/python -m bench compare "$results/$lib-$version_a/$suite" \
    "$results/$lib-$version_b/$suite" --fail-on worse --out "$results/$lib-$version_a-vs-$version_b"
