"""`python -m udp.generate ...` runs the same CLI as `udp generate`."""

from __future__ import annotations

import sys

from udp.generate.core import main

if __name__ == "__main__":
    sys.exit(main())
