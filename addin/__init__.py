"""The Dealpane web service: REST API v1, task pane, workspace pages and the CLI."""
from .app import create_app

__all__ = ["create_app"]
