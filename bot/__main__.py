"""``python -m bot`` runs the ``sarabun`` command line."""

import sys

from .cli import main

sys.exit(main())
