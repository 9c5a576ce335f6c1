#!/bin/sh
# A virtualenv for bench_peers.py: the peers of the `bench` extra in
# pyproject.toml, each installed on its own (one that fails to build on this
# interpreter is reported and the others still install; bench_peers.py then
# reports it as not importable), and whyalive's C core built in place.
#
# usage: benchmarks/setup_peers_venv.sh PYTHON VENV
#   e.g. benchmarks/setup_peers_venv.sh ~/.pyenv/versions/3.11.7/bin/python /tmp/venvs/bench311
# then:  PYTHONPATH=src VENV/bin/python benchmarks/bench_peers.py
set -u
python=${1:?usage: $0 PYTHON VENV}
venv=${2:?usage: $0 PYTHON VENV}
cd "$(dirname "$0")/.." || exit 1

"$python" -m venv "$venv" || exit 1
"$venv/bin/python" -m pip install -q -U pip setuptools wheel || exit 1

# the bench extra, one requirement per line
peers=$(sed -n 's/^bench = \[\(.*\)\]/\1/p' pyproject.toml | tr -d '"' | tr ',' '\n')
failed=""
for req in $peers; do
    if "$venv/bin/python" -m pip install -q "$req"; then
        echo "installed $req"
    else
        echo "FAILED to install $req on $("$venv/bin/python" -V 2>&1)" >&2
        failed="$failed $req"
    fi
done

"$venv/bin/python" setup.py -q build_ext --inplace || exit 1
echo "whyalive built in place for $("$venv/bin/python" -V 2>&1)"
[ -z "$failed" ] || echo "not installed:$failed (bench_peers.py skips them)" >&2
exit 0
