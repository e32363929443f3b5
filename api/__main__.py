"""`python -m api [--host H] [--port P] [--workers N]`: the same as `jseval serve`."""

from __future__ import annotations

import sys

from api.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
