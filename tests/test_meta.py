"""Meta-tests that guard the architecture's boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import SETTINGS
from ui.nav import NAV

ROOT = Path(__file__).resolve().parents[1]


def _modules(path: Path) -> set[str]:
    """Every module a file imports, dotted in full (``from core.db import x`` gives both
    ``core.db`` and ``core.db.x``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _imports(path: Path) -> set[str]:
    return {m.split(".")[0] for m in _modules(path)}


def _py(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


STAGES = ("scoping", "data", "labeling", "training", "analysis", "deploy", "monitoring",
          "charts", "demo", "projects")


def test_core_never_imports_streamlit():
    offenders = [p.name for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_only_core_db_imports_duckdb():
    users = {
        str(p.relative_to(ROOT))
        for folder in ("core", "ui", "pages", "bench")
        for p in (ROOT / folder).rglob("*.py")
        if "duckdb" in _imports(p)
    } | ({"app.py"} if "duckdb" in _imports(ROOT / "app.py") else set())
    assert all(u.startswith("core/db/") for u in users), users


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    pages = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    nav = {item.path for item in NAV}
    assert pages <= nav, f"pages missing from ui/nav.py NAV: {sorted(pages - nav)}"
    assert all((ROOT / path).exists() for path in nav)
    assert "app.py" in nav


def test_every_page_has_an_apptest():
    tested = " ".join(p.read_text() for p in (ROOT / "tests" / "pages").glob("test_*.py"))
    untested = [p.name for p in (ROOT / "pages").glob("*.py") if f"pages/{p.name}" not in tested]
    assert untested == []


def test_every_setting_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text()
    assert [name for name in SETTINGS if f"`{name}`" not in readme] == []
    assert all(s.help for s in SETTINGS.values())


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && streamlit run app.py" in readme
    assert "pip install -r requirements-dev.txt && python -m pytest" in readme


def test_no_database_files_in_the_tree_are_tracked():
    ignore = (ROOT / ".gitignore").read_text()
    assert "*.duckdb" in ignore


def test_core_db_imports_no_stage_package():
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in _modules(p)
                                         if m.split(".")[:2][-1] in STAGES and m.startswith("core."))
        for p in _py("core/db")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_charts_never_read_the_database():
    offenders = [str(p.relative_to(ROOT)) for p in _py("core/charts")
                 if any(m.startswith("core.db") or m == "duckdb" for m in _modules(p))]
    assert offenders == []


def test_pages_and_ui_call_stages_not_repositories():
    files = [*_py("pages"), *_py("ui"), ROOT / "app.py"]
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _modules(p)
                                                  if m.startswith("core.db.")
                                                  and m not in ALLOWED_DB_NAMES)
                 for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


# types a page may name (the database handle and row types), never a repository's functions
ALLOWED_DB_NAMES = {"core.db.database", "core.db.database.Database", "core.db.projects",
                    "core.db.projects.ProjectRow", "core.db.datasets",
                    "core.db.datasets.DatasetRow", "core.db.datasets.DATASET_ROLES"}


def _demo_columns() -> set[str]:
    """The demo's own column names (its labels use the workbench's long form, which is not
    demo-specific: item_id, annotator, label, labeled_at)."""
    from core.demo.generator import generate_demo

    data = generate_demo(n_train=300)
    columns = set(data.train.columns) | set(data.production.columns)
    return columns - {"item_id", "annotator", "label", "labeled_at", "region"}


def test_no_demo_column_name_outside_the_demo():
    names = _demo_columns()
    offenders = {}
    for p in [*_py("core"), *_py("ui"), *_py("pages"), ROOT / "app.py"]:
        if "core/demo/" in str(p.relative_to(ROOT)).replace("\\", "/") + "/":
            continue
        text = p.read_text(encoding="utf-8")
        found = sorted(n for n in names if f'"{n}"' in text or f"'{n}'" in text
                       or f"``{n}``" in text or f"`{n}`" in text)
        if found:
            offenders[str(p.relative_to(ROOT))] = found
    assert offenders == {}


# Size limits of the layout (issue 14): a module passing 700 lines or a function passing 80
# is usually two ideas. Exceptions are listed here with their reason.
MODULE_LINES, FUNCTION_LINES = 700, 80
LONG_FUNCTION_EXCEPTIONS: dict[str, str] = {}


def test_no_module_over_700_lines_and_no_function_over_80():
    long_modules, long_functions = [], []
    for p in [*_py("core"), *_py("ui"), *_py("pages"), *_py("bench"), ROOT / "app.py"]:
        rel = str(p.relative_to(ROOT))
        text = p.read_text(encoding="utf-8")
        if text.count("\n") > MODULE_LINES:
            long_modules.append(rel)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                key = f"{rel}:{node.name}"
                if n > FUNCTION_LINES and key not in LONG_FUNCTION_EXCEPTIONS:
                    long_functions.append(f"{key} ({n})")
    assert long_modules == [] and long_functions == []


def test_every_package_says_what_it_owns():
    missing = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("__init__.py")
               if not (ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) or "").strip()]
    assert missing == []
