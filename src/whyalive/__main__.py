"""``python -m whyalive``: the command line (see :mod:`whyalive.cli`)."""

from whyalive.cli import main

raise SystemExit(main())
