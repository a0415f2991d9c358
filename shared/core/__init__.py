"""The common parts every domain uses: models, AWS access, API helpers, auth, errors, settings, observability."""
