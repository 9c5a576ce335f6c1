#!/usr/bin/env bash
# Compile the C core under the free-threaded configuration of each given
# CPython 3.13+ (its own headers, its pyconfig.h with Py_GIL_DISABLED
# defined, as a 3.1Xt build's pyconfig.h has it), with the flags
# setup.py uses and warnings as errors, so that a free-threaded user never
# meets a build error.  For the free-threaded builds CI cannot run (3.14t,
# 3.15t), this is the check.
#
#   .ci/compile-free-threaded.sh PYTHON...
#
# Interpreters older than 3.13 are skipped (no free-threaded build exists).
# An interpreter that is already free-threaded is checked as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for py in "$@"; do
    read -r version include ft < <("$py" -c '
import sys, sysconfig
print("%d.%d" % sys.version_info[:2], sysconfig.get_paths()["include"],
      int(bool(sysconfig.get_config_var("Py_GIL_DISABLED"))))')
    case $version in 3.1[0-2]) continue ;; esac
    # a copy of the headers, whose pyconfig.h says free-threaded
    # (Python.h includes "pyconfig.h" from its own folder)
    inc="$work/$version/include"
    rm -rf "$inc"
    mkdir -p "$inc"
    cp -RL "$include/." "$inc/"
    if [ "$ft" = 0 ]; then
        chmod u+w "$inc/pyconfig.h"
        printf '\n/* free-threaded configuration (.ci/compile-free-threaded.sh) */\n#define Py_GIL_DISABLED 1\n' >>"$inc/pyconfig.h"
    fi
    failed=0
    for src in src/whyalive/_core/*.c; do
        if ! "$cc" -std=c11 -Wall -Wextra -O2 -Werror -fPIC -I"$inc" -c "$src" -o "$work/out.o"; then
            failed=1
        fi
    done
    if [ $failed = 0 ]; then
        echo "compile check: CPython ${version}t (free-threaded configuration): OK"
    else
        echo "compile check: CPython ${version}t (free-threaded configuration): FAILED" >&2
        status=1
    fi
done
exit $status
