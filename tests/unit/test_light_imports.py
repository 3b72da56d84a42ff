"""Nothing happens at import time: the configuration and the command line (`dealpane --help`) load
neither the Flask app nor flask-openapi3 nor the Graph SDK (issue 17)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("flask_openapi3", "msgraph", "addin.app", "sqlalchemy")

PROBE = """
import sys
import {module}
print("LOADED", sorted(name for name in {heavy!r} if name in sys.modules))
"""


@pytest.mark.parametrize("module", ["addin", "addin.config", "addin.cli"])
def test_importing_loads_no_app_and_no_graph_sdk(module):
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module, heavy=list(HEAVY))],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_dealpane_help_loads_no_app_and_no_graph_sdk():
    probe = ("import runpy, sys\nsys.argv = ['dealpane', '--help']\n"
             "try:\n    runpy.run_module('addin.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', sorted(n for n in {list(HEAVY)!r} if n in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "Usage:" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"
