"""`supportdesk serve`: the desk service as an HTTP JSON API (`/v1/…`) on FastAPI and uvicorn.

Routes translate, exactly as the CLI does: each calls the same use case of the desk service
as its command and answers with the JSON that command prints with --json. Nothing here is
imported unless `serve` runs (or a test builds the app with `create_app`).

    app.py         the app factory: settings, middleware, error handlers, the routes
    routes.py      the /v1 endpoints
    desks.py       the desk a request acts on: a connection per thread, the compiled policy
                   per version, the token's holder looked up on every request
    errors.py      the error envelope and HTTP statuses by the CLI's exit codes; the catch-all
    limits.py      tokens never in URLs, the request body limit, the per-token rate limit
    access_log.py  one line per request on stderr
"""
