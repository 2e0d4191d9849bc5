"""Entry point: `flask --app app run` or `from app import app` (gunicorn app:app)."""

from kb.web import create_app

app = create_app()
