"""Meta-tests that guard the architecture's boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import SETTINGS
from ui.nav import NAV

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    offenders = [p.name for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_only_the_store_imports_duckdb():
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
