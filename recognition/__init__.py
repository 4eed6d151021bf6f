"""Recognition: video in, match events out. A camera's frames are read (`capture`), faces
detected and checked for quality (`engines`, `quality`), tracked across frames (`tracking`),
embedded and compared with the deployment's watchlist (`index`), and each decided track
becomes a match or a faces-seen count (`events`) sealed for the ingest and sent to a broker
(`transport`). `enrol` makes a watchlist template from an image; `evaluation` and `heldout`
measure the engine. The worker (`worker`) is wired to the deployment process by
`services.worker_link` and run by `runtime.worker`.
"""
