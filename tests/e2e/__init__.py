"""Browser tests: a real Chromium (Playwright) against the app under gunicorn."""
