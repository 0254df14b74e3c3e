import sys

from modelbench.cli import main

sys.exit(main())
