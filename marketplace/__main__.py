"""``python -m marketplace <command>``: the ``kaaj`` console script without its script."""

from marketplace.cli import main

main()
