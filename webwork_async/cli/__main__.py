"""``python -m webwork_async.cli``: the ``webwork`` command without its console script."""

from webwork_async.cli import main

main()
