"""The benchmark scripts still import: they are run by hand and by the lead's re-runs, not
by the suite, so a name moved in the package would otherwise break them unseen."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import helpdesk_tui

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script", sorted(path.name for path in BENCHMARKS.glob("*.py")))
def test_a_benchmark_script_imports(script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # (they import each other by name)
    spec = importlib.util.spec_from_file_location(f"benchmark_{script[:-3]}", BENCHMARKS / script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None)), f"{script} has no main()"


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_the_first_paints_run_the_code_the_cli_runs_not_the_working_directorys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An A/B run from one checkout with the other's code on PYTHONPATH: ``python -c`` put
    the working directory first, so the first paints ran the checkout's code and the CLI
    cases the other's, and each wrote its own kept settings: every first paint validated
    the settings in full (app_keys.py's 1.7-1.8x against startup.py's 1.3x)."""
    startup = _script("startup", monkeypatch)
    decoy = tmp_path / "helpdesk_tui"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("")
    done = subprocess.run(
        startup.child_argv("-c", "import helpdesk_tui; print(helpdesk_tui.__file__)"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(done.stdout.strip()).resolve() == Path(helpdesk_tui.__file__).resolve()
