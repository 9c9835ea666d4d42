"""`python -m kapso_platform`: the `kapso` command line."""

import sys

from kapso_platform._cli import main

sys.exit(main())
