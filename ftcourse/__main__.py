import sys

from ftcourse.cli import main

sys.exit(main())
