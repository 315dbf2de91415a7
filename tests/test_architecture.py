"""The shape of the package (docs/architecture.md), checked: layers, no import circles, module
sizes, one model registry, errors that speak the caller's language, an instant ``--help``."""

import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import hetgat
from hetgat.cli import main
from hetgat.config import MODEL_NAMES, MODEL_SPECS, ModelConfig, TrainConfig, model_default
from hetgat.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hetgat"


def test_import_contracts_hold():
    """``lint-imports`` (import-linter): each layer imports only the layers below it, and only
    the command line imports click (pyproject.toml's contracts)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles():
    """No two modules of hetgat import each other, directly or through others; imports inside
    functions count too (a late import must not hide a circle)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("hetgat")
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    class Graph:
        modules = {"a", "b", "c"}
        edges = {"a": {"b"}, "b": {"a"}, "c": {"a"}}

        def find_modules_directly_imported_by(self, m):
            return self.edges[m]

    assert _cycles(Graph()) == [["a", "b"]]


def test_long_modules_say_why():
    """A module over ~300 lines says at its top why it is one module."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > 320 and not any("Longer than" in line for line in lines[:30]):
            long.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert long == []


def test_help_is_instant_and_imports_no_torch():
    code = "import sys; from hetgat.cli import main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_model_registry():
    """The CLI's --model choices, the registry and the network classes are the same list;
    every per-model default names a configuration field and is what that model gets."""
    from hetgat.models import MODELS
    from hetgat.models.base import AttentionNet

    fit = main.commands["fit"]
    choices = next(p for p in fit.params if p.name == "model_name").type.choices
    assert tuple(choices) == MODEL_NAMES == tuple(MODEL_SPECS) == tuple(MODELS)
    model_fields = {f for f in inspect.signature(ModelConfig).parameters}
    train_fields = {f for f in inspect.signature(TrainConfig).parameters}
    for name, spec in MODEL_SPECS.items():
        assert issubclass(MODELS[name], AttentionNet)
        assert set(spec.model_defaults) <= model_fields
        assert set(spec.train_defaults) <= train_fields
        model, train = ModelConfig.for_model(name), TrainConfig.for_model(name)
        for key, value in spec.model_defaults.items():
            assert getattr(model, key) == value == model_default(name, key)
        for key, value in spec.train_defaults.items():
            assert getattr(train, key) == value == model_default(name, key)
    assert set(hetgat.__all__) >= {"MODELS", "build_model", "DataSource"}


def test_help_texts_show_every_models_defaults():
    """``--hidden`` etc. list the registry's defaults (no second list to keep in step)."""
    fit = main.commands["fit"]
    helps = {p.name: p.help for p in fit.params if isinstance(p, click.Option)}
    assert "[8; simplehgn 64; hgt 32; sehgnn 512]" in helps["hidden"]
    assert "[2; han 1; simplehgn 4]" in helps["num_layers"]
    assert "[0.005; simplehgn 0.0005; hgt 0.001; sehgnn 0.001]" in helps["lr"]
    for name, spec in MODEL_SPECS.items():
        assert f"{name}: {spec.summary}" in helps["model_name"]


def test_a_library_error_names_the_parameter_and_the_cli_the_flag(tmp_path):
    from hetgat.datasets.metapaths import resolve_metapath
    from hetgat.tables import attention_frames

    with pytest.raises(ConfigError) as info:
        TrainConfig(batch_size=None, fanouts=(5,))
    assert str(info.value).startswith("fanouts: expected")
    with pytest.raises(ConfigError, match=r"^layers: expected a layer from 0 to 0, got 3"):
        next(attention_frames(None, {}, [None], layers=[3]))
    assert callable(resolve_metapath)
    edges = tmp_path / "e.csv"
    edges.write_text("src,dst\na,b\n")
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,label\na,x\nb,y\n")
    result = CliRunner().invoke(
        main, ["fit", str(edges), "--nodes", str(nodes), "--split-ratio", "1,0,0", "--target", "q"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == "Error: --target: expected one of node, got 'q'"


def test_cli_flags_come_from_the_commands_own_options():
    """The flag of a library parameter is the running command's own: ``num_parts`` is
    ``--parts`` for partition, ``out`` is its OUT argument, ``layers`` is ``--layer`` for
    attention and ``num_layers`` ``--layers`` for fit."""
    from hetgat.cli.boundary import flag

    expected = {
        "partition": {"num_parts": "--parts", "out": "OUT", "graph_name": "--name"},
        "attention": {"layers": "--layer", "heads": "--head"},
        "fit": {"num_layers": "--layers", "heads": "--heads", "model": "--model", "out": "--out"},
    }
    for command, names in expected.items():
        with click.Context(main.commands[command]):
            for name, shown in names.items():
                assert flag(name) == shown


def test_tests_mirror_the_package():
    """Every package of hetgat has a folder of tests of the same name."""
    packages = sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()
    )
    missing = [p for p in packages if not (ROOT / "tests" / p).is_dir()]
    assert missing == [], missing


def test_no_flag_in_library_messages():
    """Library modules speak in parameter names (``num_parts``), never in flags
    (``--parts``): the CLI maps them, in one place."""
    flag = re.compile(r"""["'f].*\s--[a-z][a-z-]+""")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "cli"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if flag.search(code) and "``" not in code and "hetgat " not in code:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
