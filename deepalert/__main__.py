"""``python -m deepalert``: the same as the ``deepalert`` command."""

import sys

from deepalert.cli import main

sys.exit(main())
