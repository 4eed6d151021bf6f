"""The HTTP entry point: the FastAPI app (`app.create_app`) over the parts the composition
root built (`runtime.bootstrap.Services`). Routes (`routes/`) name the roles they admit,
validate the request (`schemas`), call a use case and answer a typed document (`documents`,
`views`); the web pages are in `web/`. Refusals become JSON with a reason (`errors`).
"""
