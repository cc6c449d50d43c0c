"""`python -m bot` is `jobgate`."""

from bot.cli import main

raise SystemExit(main())
