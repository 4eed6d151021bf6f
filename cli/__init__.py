"""Entry points: the `lfr` command line. Each command is thin: it asks the composition root
(`runtime`) for the parts it needs and calls a use case."""
