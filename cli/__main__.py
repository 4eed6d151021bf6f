"""`python -m cli`: the `lfr` command line."""

import sys

from cli.main import main

sys.exit(main())
