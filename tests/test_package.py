"""The package surface: public names resolve, and the CLI starts without torch or DGL."""

import subprocess
import sys

import hetgat


def test_public_names_resolve():
    for name in hetgat.__all__:
        assert getattr(hetgat, name) is not None, name


def test_cli_import_is_cheap():
    code = "import sys, hetgat.cli; print('torch' in sys.modules, 'dgl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
