#!/usr/bin/env bash
# Follows the README's plugin guides verbatim ("Add a strategy in five minutes", "Race
# several plugins", "Wrap a library", "Add an objective") in a fresh clone of this
# repository's HEAD, as a new user would, and prints how long each took.
# Usage: scripts/follow_guides.sh [folder]   (default: a new temporary folder)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
clone="${1:-$(mktemp -d /tmp/tunebench-guides.XXXXXX)}"
git clone -q "$repo" "$clone"
cd "$clone"
start=$(date +%s.%N)
make setup >/dev/null
echo "== make setup took $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s" >&2
source .venv/bin/activate
t() { local s=$(date +%s.%N); "$@"; echo "   [$(echo "$(date +%s.%N) - $s" | bc | cut -c1-5) s] $*" >&2; }
g() { echo "== $1 started $(date +%T)" >&2; G=$(date +%s.%N); }
e() { echo "== $1 took $(echo "$(date +%s.%N) - $G" | bc | cut -c1-5) s" >&2; }
g "Add a strategy"
t python -m bench new-strategy my-search --path plugins/
t python -m bench check-strategy plugins/my_search.py
t python -m bench run quick --plugin plugins/my_search.py --strategies random,tpe,gp,hyperband,my-search
t python -m bench report quick
grep -c my-search results/quick/report/summary.csv
e "Add a strategy"
g "Race several plugins"
t python -m bench new-strategy search-a --path plugins/
t python -m bench new-strategy search-b --path plugins/
t python -m bench run quick --plugin plugins/search_a.py --strategies random,tpe,search-a
t python -m bench run quick --plugin plugins/search_b.py --strategies search-b
t python -m bench report quick
grep -c "search-[ab]" results/quick/report/summary.csv
e "Race several plugins"
g "Wrap a library"
t python -m pip install -q -c constraints.txt -r tests/plugin-libraries.txt
t python -m bench new-strategy bayes-opt --path plugins/
t cp examples/plugins/bayes_opt_strategy.py plugins/
t python -m bench check-strategy plugins/bayes_opt_strategy.py
t python -m bench run quick --plugin plugins/bayes_opt_strategy.py --strategies 'random,tpe,gp,bayes-opt,bayes-opt[n_random=1000,n_smart=2,gp_restarts=1]'
t python -m bench report quick
grep -c "bayes-opt" results/quick/report/summary.csv
e "Wrap a library (without the pytest route)"
t python -m pytest -q plugins/test_bayes_opt_strategy.py
e "Wrap a library (with the pytest route)"
g "Add an objective"
t python -m bench new-objective my-objective --path plugins/
t python -m bench check-objective plugins/my_objective.py
t python -m bench run plugins/my_objective.toml --plugin plugins/my_objective.py
t python -m bench report plugins/my_objective.toml
grep -c "my-objective" results/my_objective/report/summary.csv
e "Add an objective"
