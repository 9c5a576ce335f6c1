#!/usr/bin/env bash
# refleak's own test suite, run against whyalive.compat.refleak.
#
# Usage: .ci/refleak_suite.sh PYTHON
#   PYTHON: an interpreter where whyalive and pytest are installed.
#
# Downloads refleak's sdist (its tests ship in it), puts a package named
# `refleak` on sys.path whose `refleak.testing` re-exports
# whyalive.compat.refleak, and runs refleak/testing/tests/test_core.py.
# The tests expected to fail are listed below, each with why (a deliberate
# difference); any other failure, or an expected one that passes, fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${1:?usage: .ci/refleak_suite.sh PYTHON}
version=${REFLEAK_VERSION:-0.2.2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Deliberate differences: test name, then why.
expected_failures=$(cat <<'EOF'
test_assert_no_instances	a bare local of the running test holds the instance: whyalive reports it ("<local 'holder'> of test_assert_no_instances"); refleak skips running frames by design
test_cycle_back_to_leaked_object_is_marked	the test's local 'obj' holds it: whyalive reports that root; refleak skips running frames and walks the self-reference instead
test_already_expanded_referrer_is_marked	the test's locals hold the object: whyalive reports them as roots and merges shared retainers into one tree, with no "(see above)" marker
test_orphan_dict_keys_preview_and_dead_end	the test's local 'd' holds the dict: whyalive reports that root; refleak previews the dict's keys with repr() and says "(no gc-visible referrers)"
test_cell_reports_closure_owner	the test's local (a cell variable) is the shortest root; and refleak's line "_inner.__closure__['obj']: cell = <closure len=1>" is spelled "<closure 'obj'> of function ..." by whyalive
test_module_global_container_is_named	refleak's line format "_holder_list[0]: list = <len=1>" (type and size of the holder); whyalive prints "[0] in list" over "mod._holder_list  (root: module global)" and "as code: mod._holder_list[0]"
test_snapshot_freeze_thaws_before_reporting	refleak's line format "_holder_list[0]: list = <len=1>", as above
test_instance_attribute_anchor	refleak's line format "_Parent.__dict__['child']: dict = <len=1>"; whyalive folds the instance dict into ".child of _Parent"
test_traceback_frame_leak_detected	refleak's line format "_bad: frame = file:line"; whyalive prints "<local 'w'> of frame ..._bad" and "as code: mod._saved_exc.__traceback__.tb_next.tb_frame"
test_dict_owner_objs_scan_fallback	refleak names an owner the collector cannot see ("_GhostlyOwner.__dict__['child']"); whyalive names what holds the dict: "mod._hidden_dict"
test_describe_referrer_ownerless_cell	tests refleak's private _describe_referrer: no whyalive counterpart
test_describe_referrer_function_and_module	tests refleak's private _describe_referrer
test_describe_referrer_kinds	tests refleak's private _describe_referrer
test_attr_names_for_instance_referrers	tests refleak's private _describe_referrer
test_module_globals_map_skips_broken_modules	tests refleak's private _module_globals_map: whyalive reads sys.modules in C
test_safe_repr_failure	tests refleak's private _safe_repr: whyalive never calls repr() on heap objects
test_key_suffix	tests refleak's private _key_suffix
test_fullname_module_vs_class	tests refleak's private _fullname
EOF
)

"$python" -m pip download --quiet --no-binary :all: --no-deps \
    --dest "$work" "refleak==$version"
tar -xzf "$work/refleak-$version.tar.gz" -C "$work"
src="$work/refleak-$version"
tests="$src/refleak/testing/tests"
[ -f "$tests/test_core.py" ] || { echo "refleak_suite: no tests in the sdist" >&2; exit 1; }

# The shim: only the tests come from refleak; the package is ours.
shim="$work/shim"
mkdir -p "$shim/refleak/testing"
cp -r "$tests" "$shim/refleak/testing/tests"
cat > "$shim/refleak/__init__.py" <<'EOF'
"""Stands in for refleak: refleak.testing is whyalive.compat.refleak."""
import importlib.metadata

try:
    __version__ = importlib.metadata.version("refleak")
except Exception:
    __version__ = "0.0.0"

from . import testing  # noqa: E402
EOF
cat > "$shim/refleak/testing/__init__.py" <<'EOF'
from whyalive.compat.refleak import (  # noqa: F401
    Snapshot,
    assert_no_instances,
    gc_collect_once,
    referrer_chain,
)
from . import _core  # noqa: F401,E402
EOF
cat > "$shim/refleak/testing/_core.py" <<'EOF'
"""refleak's private module: the public names, and stubs for the private
helpers its tests import (whyalive has no counterpart for them)."""
from whyalive.compat import refleak as _compat
from whyalive.compat.refleak import (  # noqa: F401
    Snapshot,
    assert_no_instances,
    gc_collect_once,
    referrer_chain,
)

_freeze_depth = 0


def _private(*args, **kwargs):
    raise NotImplementedError(
        "a private helper of refleak's renderer; whyalive.compat.refleak "
        "does not provide it"
    )


_describe_referrer = _fullname = _key_suffix = _module_globals_map = _private
_safe_repr = _private
EOF

# Its output goes to a log, shown when something unexpected happens: the
# closing line of this run is the summary below, not pytest's.
junit="$work/junit.xml"
log="$work/pytest.log"
set +e
(cd "$shim" && PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest \
    -p no:cacheprovider -q -o addopts="" --junitxml="$junit" refleak/testing/tests) \
    > "$log" 2>&1
set -e
[ -f "$junit" ] || { cat "$log" >&2; echo "refleak_suite: pytest did not run" >&2; exit 1; }

if ! "$python" - "$junit" "$expected_failures" <<'EOF'
import sys
import xml.etree.ElementTree as ET

junit, expected_text = sys.argv[1], sys.argv[2]
expected = dict(line.split("\t", 1) for line in expected_text.splitlines() if line)
passed, failed = [], []
for case in ET.parse(junit).iter("testcase"):
    name = case.get("name")
    if case.find("skipped") is not None:
        continue
    bad = case.find("failure") is not None or case.find("error") is not None
    (failed if bad else passed).append(name)
total = len(passed) + len(failed)
for name in sorted(failed):
    if name in expected:
        print(f"  expected failure: {name}: {expected[name]}")
unexpected = sorted(set(failed) - set(expected))
now_passing = sorted(set(expected) & set(passed))
for name in unexpected:
    print(f"  UNEXPECTED failure: {name}", file=sys.stderr)
for name in now_passing:
    print(f"  expected to fail but passed (update the list): {name}", file=sys.stderr)
missing = sorted(set(expected) - set(passed) - set(failed))
for name in missing:
    print(f"  listed but not run: {name}", file=sys.stderr)
print(f"refleak suite against whyalive.compat.refleak: {len(passed)} of {total} pass")
sys.exit(1 if unexpected or now_passing or missing or not passed else 0)
EOF
then
    tail -n 60 "$log" >&2
    exit 1
fi
