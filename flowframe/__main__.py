"""``python -m flowframe``: the ``flowframe`` command."""

import sys

from flowframe.cli import main

if __name__ == "__main__":
    sys.exit(main())
