import sys

from xlmodel.cli import main

sys.exit(main())
