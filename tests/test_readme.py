"""README's two commands stay true: CI runs the test command exactly as README writes it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_the_readme_test_command():
    test_command = next(b for b in _bash_blocks() if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.strip() in ci.splitlines()


def test_readme_first_command_uses_the_shipped_example():
    first = _bash_blocks()[0]
    assert "hetgat fit planetoid:cora --data-dir examples/planetoid" in first
    assert (ROOT / "examples" / "planetoid" / "ind.cora.graph").is_file()
