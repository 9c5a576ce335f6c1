"""Build the C core, ``whyalive._core``; everything else lives in pyproject.toml.

The C core is the product: a failed build fails the install, loudly.
Set ``WHYALIVE_WERROR=1`` to turn compiler warnings into errors (CI does).
"""

import os
import sys
from pathlib import Path

from setuptools import Extension, setup

SOURCES = [
    "module.c",
    "deadline.c",
    "heap.c",
    "heappar.c",
    "heapside.c",
    "heaprows.c",
    "scratch.c",
    "ftlist.c",
    "roots.c",
    "paths.c",
    "chain.c",
    "search.c",
    "select.c",
    "choose.c",
    "unreached.c",
    "result.c",
    "names.c",
    "objnames.c",
    "stdnames.c",
    "strtable.c",
    "nogc.c",
    "probes.c",
    "ptrmap.c",
    "census.c",
    "graph.c",
    "sizes.c",
    "snapshot.c",
    "snapquery.c",
    "snapids.c",
    "snapdiff.c",
    "snapmethods.c",
    "snapselect.c",
    "dominators.c",
    "cycles.c",
]

compile_args = []
if sys.platform != "win32":
    compile_args = ["-std=c11", "-Wall", "-Wextra", "-O2"]
    if os.environ.get("WHYALIVE_WERROR") == "1":
        compile_args.append("-Werror")
    if os.environ.get("WHYALIVE_ASAN") == "1":
        # AddressSanitizer and UndefinedBehaviorSanitizer (.ci/run's
        # sanitizer block); any report of undefined behaviour is fatal
        compile_args += [
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer",
            "-O1",
            "-g",
        ]

link_args = []
if os.environ.get("WHYALIVE_ASAN") == "1":
    link_args.append("-fsanitize=address,undefined")

setup(
    ext_modules=[
        Extension(
            "whyalive._core",
            sources=[f"src/whyalive/_core/{name}" for name in SOURCES],
            # every header, so that a change to one rebuilds the core
            depends=sorted(str(path) for path in Path("src/whyalive/_core").glob("*.h")),
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
    ]
)
