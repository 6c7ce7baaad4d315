#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the measures and the model's submodels.
#
#   benchmarks/mutation.sh                      # policies.py, going_out.py, tries.py
#   MUTATE="sim/model/calais.py" benchmarks/mutation.sh
#   MUTATION_TESTS="tests/test_levers.py" benchmarks/mutation.sh
#   MUTATION_K="not along_its_dose" benchmarks/mutation.sh   # a pytest -k expression
#   MUTATE="sim/model/traffic.py" MUTATION_TESTS="tests/test_traffic.py" benchmarks/mutation.sh
#
# docs/testing.md gives the commands of each recorded run (the day's submodels with
# tests/test_day_submodels.py, traffic with tests/test_traffic.py).
#
# Not part of the default pytest run (about 20 min on 2 cores). It copies the work tree to a
# scratch folder (the project's files are never touched), adds a [tool.mutmut] table to the
# copy's pyproject.toml, runs `mutmut run` there with the submodel, lever, measure and behaviour tests,
# and prints the survivors. docs/testing.md lists them, each killed or explained.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
work=${MUTATION_WORK:-$(mktemp -d /tmp/calais-mutation.XXXXXX)}
mutate=${MUTATE:-"sim/measures/policies.py sim/model/going_out.py sim/model/tries.py"}
tests=${MUTATION_TESTS:-"tests/test_submodels.py tests/test_levers.py tests/test_measures.py tests/test_behaviour.py"}
children=${MUTATION_CHILDREN:-2}
# extra pytest arguments, split at spaces (MUTATION_PYTEST="--maxfail 1"); a -k expression,
# which holds spaces, goes in MUTATION_K (MUTATION_K="not along_its_dose" for a quick pass)
pytest_extra=${MUTATION_PYTEST:-}
pytest_k=${MUTATION_K:-}

"$python" -c "import mutmut" 2>/dev/null || {
    echo "mutmut is not installed: $python -m pip install mutmut" >&2
    exit 2
}
mkdir -p "$work"
# the tracked and new files of the work tree, as they are now (no .venv, results or mutants)
(cd "$repo" && git ls-files -co --exclude-standard -z) |
    (cd "$repo" && xargs -0 tar -cf - 2>/dev/null) | (cd "$work" && tar -xf -)

toml_list() { printf '"%s", ' "$@" | sed 's/, $//'; }
cat >>"$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["sim"]
also_copy = ["scenarios"]
only_mutate = [$(toml_list $mutate)]
pytest_add_cli_args_test_selection = [$(toml_list $tests)]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"$(for a in $pytest_extra; do printf ', "%s"' "$a"; done)$(if [ -n "$pytest_k" ]; then printf ', "-k", "%s"' "$pytest_k"; fi)]
TOML

cd "$work"
echo "mutating: $mutate"
echo "tests:    $tests${pytest_k:+ (-k \"$pytest_k\")}"
echo "scratch:  $work"
start=$(date +%s)
"$python" -m mutmut run --max-children "$children" || true
"$python" -m mutmut results --all true >"$work/results.txt" 2>&1 || "$python" -m mutmut results >"$work/results.txt" 2>&1 || true
echo "took $(( $(date +%s) - start )) s; per-mutant results in $work/results.txt"
grep -Eo '(killed|survived|timeout|suspicious|no tests|segfault|skipped|not checked)$' "$work/results.txt" |
    sort | uniq -c || true
echo "survivors (mutmut show <name> in $work for the diff):"
grep -E ': (survived|no tests)' "$work/results.txt" || true
