"""pyplot figures never closed: pyplot keeps every figure it made until
plt.close(), with whatever the figure refers to."""

import sys

try:
    import matplotlib
except ImportError:
    sys.exit("this recipe needs matplotlib: pip install matplotlib")

matplotlib.use("Agg")  # no window: draws to memory
import matplotlib.figure
import matplotlib.pyplot as plt

import whyalive


def save_report(values, path):
    fig = plt.figure()
    fig.gca().plot(values)
    fig.savefig(path)
    # forgets plt.close(fig)


save_report([1, 4, 9, 16], "/dev/null")
print(whyalive.explain_instances(matplotlib.figure.Figure, max_paths=1))
