"""Domain operations. They take a SQLAlchemy session and plain values, flush but never commit,
and know nothing of Flask: the request (or CLI command) that calls them commits once."""
