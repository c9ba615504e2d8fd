"""Entry point for ``python -m psychometrics``."""
import sys

from .cli import main

sys.exit(main())
