"""``python -m authgate`` is the ``authgate`` command."""

from authgate.cli import main

raise SystemExit(main())
