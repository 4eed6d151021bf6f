"""The composition root: settings, store wiring, bootstrap and the `lfr` command line."""
