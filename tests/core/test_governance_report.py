"""The stakeholder report on the demo: one self-contained HTML file, a PDF whose pages render
(poppler's pdftoppm) with its text (pdftotext) and figures present, and the command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.db import projects as projects_db
from core.governance import facts, report

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("What the model does", "How good it is", "Where it fails", "How it was rolled out",
            "What changed since", "Approvals and limitations", "Appendix: model card")


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("WORKBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{tool} is missing (.ci/run installs chromium and poppler-utils)")
        pytest.skip(f"{tool} is not installed")
    return found


@pytest.fixture(scope="module")
def demo_page(_demo_db_template, tmp_path_factory) -> tuple[str, str]:
    from core.db.database import Database

    path = tmp_path_factory.mktemp("report") / "demo.duckdb"
    shutil.copy(_demo_db_template, path)
    store = Database(path)
    try:
        project = projects_db.list_projects(store)[0]
        f = facts.collect_facts(store, project.id)
        assert f.missing == {}, f.missing  # the demo holds every part of the story
        return project.name, report.report_html(f)
    finally:
        store.close()


def test_html_is_self_contained(demo_page):
    name, page = demo_page
    assert page.startswith("<!DOCTYPE html>") and name in page
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page
    # plotly.js is inline (the library's own header), and nothing is loaded from outside
    assert "plotly.js v" in page[:200_000] and len(page) > 3_000_000
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert not re.search(r"<img[^>]+src=['\"]?https?:", page)
    assert "@import" not in page and "fonts.googleapis" not in page
    assert page.count('class="plotly-graph-div"') >= 4


def test_html_tells_the_story_in_plain_words(demo_page):
    _, page = demo_page
    assert "test cases it never saw" in page
    assert "People (human-level)" in page and "The current process" in page
    assert "(a sensitive attribute)" in page
    assert "no-go" in page and "go</span>" in page
    assert "alert(s)" in page


def _pixels(img: Image.Image, rgb: tuple[int, int, int], tol: int = 6) -> int:
    a = np.asarray(img.convert("RGB")).astype(int)
    return int((np.abs(a - np.array(rgb)).max(axis=2) <= tol).sum())


def test_pdf_pages_render_with_text_and_figures(demo_page, tmp_path):
    _need(Path(report.chromium_path()).name)
    pdftoppm, pdftotext = _need("pdftoppm"), _need("pdftotext")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report.report_pdf(demo_page[1]))
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for title in (demo_page[0], *SECTIONS):
        assert title in text, title
    assert "How good the model is on cases it never saw" in text  # a figure's title
    subprocess.run([pdftoppm, "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    images = [Image.open(p) for p in pages]
    for img in images:  # every page rendered to a real A4 image with something on it
        assert img.size[0] > 300 and img.size[1] > 400
        assert _pixels(img, (255, 255, 255)) < img.size[0] * img.size[1]
    # figures drawn: plotly's plot area (#E5ECF6) and the model's bars (#1f77b4)
    plot_area = sum(_pixels(i, (229, 236, 246)) for i in images)
    bars = sum(_pixels(i, (31, 119, 180), tol=10) for i in images)
    assert plot_area > 20_000 and bars > 2_000, (plot_area, bars)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "core.report", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_command_writes_html_and_card(demo_db, tmp_path):
    out = _cli("--db", str(demo_db), "--project", "Claims triage (demo)",
               "--html", str(tmp_path / "r.html"), "--card", str(tmp_path / "card.md"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.html").read_text().count('class="plotly-graph-div"') >= 4
    assert (tmp_path / "card.md").read_text().startswith("# Model card: Claims triage (demo)")


def test_command_refuses_bad_input_with_exit_2(demo_db, tmp_path):
    out = _cli("--db", str(demo_db), "--project", "No such", "--html", str(tmp_path / "r.html"))
    assert out.returncode == 2 and "No project named 'No such'" in out.stderr
    assert not (tmp_path / "r.html").exists()
    out = _cli("--db", str(demo_db), "--project", "Claims triage (demo)")
    assert out.returncode == 2 and "nothing to write" in out.stderr


def test_pdf_without_chromium_says_what_to_install(demo_db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CHROMIUM", "no-such-browser")
    out = _cli("--db", str(demo_db), "--project", "Claims triage (demo)",
               "--pdf", str(tmp_path / "r.pdf"))
    assert out.returncode == 2
    assert "needs chromium" in out.stderr and "apt-get install chromium" in out.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_figures_keep_plotlys_template_when_streamlit_set_its_own(monkeypatch):
    """Importing streamlit makes its theme plotly's default template: the report built in the
    app then lost its plot areas (found by the PDF test running after the page tests)."""
    import plotly.graph_objects as go
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401  (registers the "streamlit" template)

    monkeypatch.setattr(pio.templates, "default", "streamlit")
    html = report._figure(go.Figure(go.Bar(x=["a"], y=[1])))
    assert '"plot_bgcolor":"#E5ECF6"' in html
