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
    assert "hetgat fit examples/cora/cites.csv" in first
    for name in ("cites.csv", "papers.csv", "features.npz"):
        assert (ROOT / "examples" / "cora" / name).is_file()


def _csv_blocks():
    text = (ROOT / "README.md").read_text()
    return dict(re.findall(r"`(\w+\.csv)`:\n\n```csv\n(.*?)\n```", text, re.S))


def test_readme_csv_example_trains_and_its_errors_are_true(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hetgat.cli import main

    blocks = _csv_blocks()
    assert set(blocks) == {"edges.csv", "nodes.csv"}
    monkeypatch.chdir(tmp_path)
    for name, text in blocks.items():
        (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    run = CliRunner().invoke(
        main,
        [
            "fit",
            "edges.csv",
            "--nodes",
            "nodes.csv",
            "--epochs",
            "2",
            "--patience",
            "0",
            "--out",
            "runs/mail",
            "-q",
        ],
    )
    assert run.exit_code == 0, run.output
    assert (tmp_path / "runs" / "mail" / "attention.csv").is_file()

    readme = (ROOT / "README.md").read_text()
    nodes = blocks["nodes.csv"].splitlines()
    errors = re.findall(r"^(Error: .*)$", readme, re.M)[:3]
    for error in errors:
        (tmp_path / "edges.csv").write_text(blocks["edges.csv"] + "\n", encoding="utf-8")
        (tmp_path / "nodes.csv").write_text(blocks["nodes.csv"] + "\n", encoding="utf-8")
        if "not a number" in error:
            lines = nodes[:3] + ['"smith, carol",ham,val,22,high'] + nodes[4:]
            (tmp_path / "nodes.csv").write_text("\n".join(lines) + "\n")
        elif "unknown node" in error:
            edges = blocks["edges.csv"].splitlines() + ["bob,alice"] * 3 + ["Zoë,zoe"]
            (tmp_path / "edges.csv").write_text("\n".join(edges) + "\n")
        elif "duplicate" in error:
            lines = nodes + ["bob,ham,,50,0.3"]
            (tmp_path / "nodes.csv").write_text("\n".join(lines) + "\n")
        result = CliRunner().invoke(
            main, ["fit", "edges.csv", "--nodes", "nodes.csv", "--out", "runs/bad"]
        )
        assert result.exit_code == 2
        assert result.output.strip() == error
        assert not (tmp_path / "runs" / "bad").exists()
    assert len(errors) == 3
