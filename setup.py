"""Build the C core, ``whyalive._core``; everything else lives in pyproject.toml.

The C core is the product: a failed build fails the install, loudly.
Set ``WHYALIVE_WERROR=1`` to turn compiler warnings into errors (CI does).
"""

import os
import sys

from setuptools import Extension, setup

SOURCES = [
    "module.c",
    "deadline.c",
    "heap.c",
    "roots.c",
    "paths.c",
    "search.c",
    "select.c",
    "unreached.c",
    "result.c",
    "names.c",
    "ptrmap.c",
    "census.c",
    "graph.c",
]

compile_args = []
if sys.platform != "win32":
    compile_args = ["-std=c11", "-Wall", "-Wextra", "-O2"]
    if os.environ.get("WHYALIVE_WERROR") == "1":
        compile_args.append("-Werror")
    if os.environ.get("WHYALIVE_ASAN") == "1":
        compile_args += ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1", "-g"]

link_args = []
if os.environ.get("WHYALIVE_ASAN") == "1":
    link_args.append("-fsanitize=address")

setup(
    ext_modules=[
        Extension(
            "whyalive._core",
            sources=[f"src/whyalive/_core/{name}" for name in SOURCES],
            depends=[
                f"src/whyalive/_core/{name}"
                for name in (
                    "array.h",
                    "compat.h",
                    "platform.h",
                    "deadline.h",
                    "heap.h",
                    "roots.h",
                    "paths.h",
                    "search.h",
                    "names.h",
                    "ptrmap.h",
                    "census.h",
                    "graph.h",
                )
            ],
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
    ]
)
