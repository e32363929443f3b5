"""jseval's HTTP service (FastAPI + uvicorn) and the `jseval` command.

`api.app.create_app()` builds the app; `api.server.serve()` runs it under uvicorn. This package
imports the engine only through the public `evaluator` module.
"""
