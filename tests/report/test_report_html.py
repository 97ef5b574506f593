"""The HTML report: every section, escaping of agent-produced text, no network resources, and (slow)
a real headless Chromium check that the key elements render and the page is not blank."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from report_fixtures import XSS, registry, write_two_groups

from medalist.report.build import build_comparison
from medalist.report.html import render_report, write_report
from medalist.report.traces import parse_journal, read_trace

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    groups = write_two_groups(root / "runs")
    comparison, _ = build_comparison(list(groups), registry())
    return write_report(comparison, root / "report.html", title="two agents")


def test_report_has_every_section(report_path: Path) -> None:
    html = report_path.read_text()
    for anchor in ('id="leaderboard"', 'id="matrix"', 'id="plots"', 'id="runs"', 'id="traces"'):
        assert anchor in html
    assert html.count('class="lbplot"') == 2  # one plot per task
    assert html.count('<details class="run"') == 6  # one section per run
    assert "aide (openai/gpt-x)" in html and "automl" in html
    assert "Solution tree (3 nodes, journal.json)" in html and "&#9733; best" in html
    assert "Steps (3, trace.json)" in html and "list_files" in html
    assert "No trace recorded for this run." in html
    assert "Not plotted (no valid score): aide (openai/gpt-x) seed 1" in html
    assert "$0.3200" in html  # aide's total cost on 'tasks-run'
    assert "Protocol <b>mlebench</b>" in html and "2 of 2 tasks" in html and ">complete<" in html
    assert "&plusmn;1.96&middot;SEM [-48.0, 148.0]" in html  # MLE-bench's interval beside the t CI


def test_agent_text_is_escaped(report_path: Path) -> None:
    html = report_path.read_text()
    assert XSS not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    scripts = re.findall(r"<script\b", html)
    assert len(scripts) == 1  # only the report's own inline script


def test_report_is_self_contained(report_path: Path) -> None:
    html = report_path.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert "<link" not in html


def test_partial_agents_are_marked_and_not_ranked() -> None:
    from report_fixtures import RUNS, TASKS

    from medalist.report.aggregate import compare

    html = render_report(compare(RUNS, TASKS, {"big": ["alpha", "beta", "gamma"]}))
    tasks_run = html.split('data-split="tasks-run"')[1].split("</table>")[0]
    a_row, b_row = tasks_run.split("<tr")[2:]  # after the header row: A (ran both tasks), then B (alpha only)
    assert a_row.startswith(' class="lb-complete"><td>1</td>') and "</span>A</td>" in a_row
    assert b_row.startswith(' class="lb-partial"><td></td>') and "</span>B</td>" in b_row  # not ranked
    assert "1 of 2 tasks" in b_row and "partial: not the split&#39;s score" in b_row
    assert "1 more split(s) the agents ran only partly" in html and 'data-split="big"' in html


def test_report_renders_without_traces_or_task_info() -> None:
    from report_fixtures import RUNS, TASKS

    from medalist.report.aggregate import compare

    html = render_report(compare(RUNS[:2] + [RUNS[4]], {"alpha": TASKS["alpha"]}))
    assert html.count('<details class="run"') == 3 and "No trace recorded" in html


def test_journal_tree_and_best_node() -> None:
    from report_fixtures import JOURNAL

    roots, n, maximize = parse_journal(JOURNAL)
    assert n == 3 and maximize is True and [r.id for r in roots] == ["n0"]
    kids = {c.id: c for c in roots[0].children}
    assert set(kids) == {"n1", "n2"} and kids["n1"].best and not roots[0].best
    assert kids["n2"].is_buggy and roots[0].output == "fold 1 0.71\nfold 2 0.69\n"


def test_unreadable_trace_is_a_note(tmp_path: Path) -> None:
    (tmp_path / "workspace" / "logs").mkdir(parents=True)
    (tmp_path / "workspace" / "logs" / "journal.json").write_text("{not json")
    (tmp_path / "workspace" / "logs" / "trace.json").write_text('{"steps": 3}')
    t = read_trace(tmp_path)
    assert not t.roots and not t.steps
    assert any("journal.json: not readable JSON" in n for n in t.notes)
    assert any("trace.json: unexpected shape" in n for n in t.notes)


def test_report_cli(tmp_path: Path) -> None:
    import subprocess

    from report_fixtures import TASKS_DIR

    groups = write_two_groups(tmp_path / "runs")
    out = tmp_path / "r.html"
    medalist = str(Path(sys.executable).parent / "medalist")
    proc = subprocess.run(
        [medalist, "report", *map(str, groups), "-o", str(out), "--tasks-dir", str(TASKS_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and "report written to" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (bash scripts/setup.sh --test installs it)")
def test_report_renders_in_headless_chromium(report_path: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (setup.sh --test)")
    from PIL import Image

    shot = Path(os.environ.get("MEDALIST_REPORT_SCREENSHOT", tmp_path / "report.png"))
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report_path.as_uri())
            for sel in ("header h1", "#leaderboard table.lb", "table.matrix", "svg.lbplot", "#runtable", "details.run"):
                el = page.locator(sel).first
                assert el.is_visible(), sel
                box = el.bounding_box()
                assert box and box["width"] > 0 and box["height"] > 0, sel
            assert page.locator("svg.lbplot").count() == 2
            assert page.locator("svg.lbplot circle").count() == 5  # 6 runs, one invalid
            page.evaluate("toggleAll(true)")
            tree = page.locator("ul.tree.root").first
            assert tree.is_visible() and tree.bounding_box()["height"] > 20
            assert page.locator(".step").first.is_visible()
            page.fill("input.filter", "automl")
            assert page.locator("#runtable tbody tr:visible").count() == 2
            page.fill("input.filter", "")
            assert page.evaluate("typeof window.__pwned") == "undefined"  # escaped text never ran
            page.evaluate("toggleAll(false); window.scrollTo(0, 0)")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert all(u.startswith("file://") for u in requests), requests
    img = Image.open(shot).convert("RGB")
    assert img.width >= 1000 and img.height > 1500
    colors = img.resize((200, 300)).getcolors(maxcolors=200 * 300)
    assert colors is not None and len(colors) > 50  # not blank
    assert max(count for count, _ in colors) < 0.9 * 200 * 300  # not one flat colour


def test_medalist_aide_journal_and_cycles() -> None:
    own = {
        "lower_is_better": True,
        "best_node_id": 2,
        "nodes": [
            {"id": 0, "step": 0, "stage": "draft", "plan": "p0", "code": "c0", "metric": 3.0, "is_bug": False},
            {"id": 1, "step": 1, "parent_id": 0, "stage": "debug", "is_bug": True, "error": "no code"},
            {
                "id": 2,
                "step": 2,
                "parent_id": 0,
                "stage": "improve",
                "metric": 2.0,
                "is_bug": False,
                "summary": "better",
                "exec_seconds": 4.5,
            },
        ],
    }
    roots, n, maximize = parse_journal(own)
    assert n == 3 and maximize is False and len(roots) == 1
    by_id = {c.id: c for c in roots[0].children}
    assert by_id["2"].best and by_id["2"].analysis == "better" and by_id["2"].exec_time == 4.5
    assert by_id["1"].is_buggy and by_id["1"].error == "no code" and by_id["1"].stage == "debug"
    cyclic = {"nodes": [{"id": "a", "parent": "b"}, {"id": "b", "parent": "a"}, {"id": "c", "parent": "c"}]}
    roots, n, _ = parse_journal(cyclic)
    flat = [r.id for r in roots] + [c.id for r in roots for c in r.children]
    assert n == 3 and sorted(flat) == ["a", "b", "c"]
