"""A fake Microsoft Graph on loopback for tests, benchmarks and the demo (see README.md here)."""
from .server import FakeGraph

__all__ = ["FakeGraph"]
