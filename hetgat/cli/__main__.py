"""``python -m hetgat.cli``: the ``hetgat`` command."""

from hetgat.cli import main

main()
