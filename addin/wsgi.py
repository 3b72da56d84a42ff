"""Running the app under gunicorn.

`dealpane serve` starts gunicorn itself. To run gunicorn directly (systemd, containers):

    gunicorn -c python:addin.gunicorn_conf 'addin.wsgi:production_app()'

The app is built in each worker from the environment (nothing happens at import time), and
the web tier is stateless: any number of processes on any number of hosts share only the
database. Like `dealpane serve`, production_app() refuses to start without the Entra settings, and
with dev auth (DEALPANE_AUTH_MODE=dev or DEALPANE_GRAPH_AUTH=dev) unless DEALPANE_INSECURE_DEV_AUTH=1
says this is a local test.
"""
from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from addin.config import Config

from . import gunicorn_conf


INSECURE_WARNING = ("WARNING: INSECURE DEV AUTH (DEALPANE_INSECURE_DEV_AUTH): X-Dev-User is trusted and/or Graph is "
                    "called with a dev token: anyone who reaches this port can act as anyone. Local tests only.")


class UnsafeConfiguration(RuntimeError):
    """A production entry point was started with settings it must refuse."""


def checked_for_production(config: Config) -> Config:
    """The configuration, or UnsafeConfiguration naming what is missing or refused (dev auth without
    DEALPANE_INSECURE_DEV_AUTH=1); with that flag, a loud warning in the log."""
    missing = config.missing_for_serve()
    if missing:
        raise UnsafeConfiguration("Dealpane refuses to start: " + "; ".join(missing))
    if config.uses_dev_auth:
        logging.getLogger("addin.wsgi").warning(INSECURE_WARNING)
    return config


def production_app():
    """The WSGI app from DEALPANE_* variables (gunicorn's factory syntax calls this)."""
    from addin.app import create_app  # noqa: PLC0415

    return create_app(checked_for_production(Config.from_env()))


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
