"""``python -m theme_assist``: the ``theme-assist`` command (:mod:`theme_assist.cli`)."""

from theme_assist.cli import main

main()
