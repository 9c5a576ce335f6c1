"""A small view of a big numpy array keeps the whole array alive: the view
holds its base."""

import sys
import weakref

try:
    import numpy as np
except ImportError:
    sys.exit("this recipe needs numpy: pip install numpy")

import whyalive

HEADERS = {}


def load(name):
    table = np.zeros((1000, 1000))  # 8 MB
    HEADERS[name] = table[0]  # a 1000-element view: keeps all 8 MB
    return weakref.ref(table)


table_ref = load("sales")
print(whyalive.explain(table_ref()))
