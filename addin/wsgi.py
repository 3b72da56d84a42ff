"""Running the app under gunicorn.

`dealpane serve` starts gunicorn itself. To run gunicorn directly (systemd, containers):

    gunicorn -c python:addin.gunicorn_conf 'addin.wsgi:production_app()'

The app is built in each worker from the environment (nothing happens at import time), and
the web tier is stateless: any number of processes on any number of hosts share only the
database.
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from addin.config import Config

from . import gunicorn_conf


def production_app():
    """The WSGI app from DEALPANE_* variables (gunicorn's factory syntax calls this)."""
    from addin.app import create_app  # noqa: PLC0415

    return create_app(Config.from_env())


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


def run_gunicorn(config: Config, *, host: str, port: int, workers: int | None = None) -> None:
    options = {name: getattr(gunicorn_conf, name) for name in gunicorn_conf.SETTINGS}
    options.update(bind=f"{host}:{port}", **({"workers": workers} if workers else {}))
    _Gunicorn(config, options).run()
