"""``python -m govreport.cli``: the ``govreport`` command."""

import sys

from govreport.cli import main

sys.exit(main())
