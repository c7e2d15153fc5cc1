"""``python -m esglib`` is the same as the ``esglib`` command."""

import sys

from esglib.app.cli import main

sys.exit(main())
