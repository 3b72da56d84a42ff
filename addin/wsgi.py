"""Running the app under gunicorn for `dealpane serve` (the app is built in each worker)."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from addin.config import Config


class _Gunicorn(BaseApplication):
    def __init__(self, config: Config, options: dict):
        self.config_obj, self.options = config, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from addin.app import create_app  # noqa: PLC0415

        return create_app(self.config_obj)


def run_gunicorn(config: Config, *, host: str, port: int, workers: int) -> None:
    _Gunicorn(config, {
        "bind": f"{host}:{port}", "workers": workers, "threads": 4, "timeout": 30, "graceful_timeout": 20,
        "accesslog": "-", "preload_app": False,
    }).run()
