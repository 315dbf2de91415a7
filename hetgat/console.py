"""The ``hetgat`` console command's entry point: Ctrl-C at any moment, while the command's
modules load too, ends with one line and exit code 130 (no traceback)."""

import sys


def main() -> None:
    try:
        from hetgat.cli import main as command

        command()
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
