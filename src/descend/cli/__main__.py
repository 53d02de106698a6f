"""``python -m descend.cli``."""

from descend.cli import main

main()
