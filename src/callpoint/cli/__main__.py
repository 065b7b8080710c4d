import sys

from callpoint.cli import main

sys.exit(main())
