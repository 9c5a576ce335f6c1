"""The standalone page (``--format html``) in a real headless browser
(Debian's chromium): the tree renders, a folded target opens when its
summary is clicked, and the page's buttons close and open every branch.

Without a browser on PATH the test is skipped, unless
``WHYALIVE_REQUIRE_BROWSER=1`` (CI sets it where it installed one)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess

import pytest

import whyalive
from whyalive.render import html as report_html

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")

#: Runs in the page after it loads; its findings go to <body data-result>.
HARNESS = """
<script>
(function () {
  function visible(selector) {
    return Array.from(document.querySelectorAll(selector)).filter(
      function (e) { return e.checkVisibility(); }).length;
  }
  var out = {};
  out.targets = document.querySelectorAll('details.wa-target').length;
  out.roots = document.querySelectorAll('.wa-root').length;
  out.visibleRoots = visible('.wa-root');
  out.visibleEdges = visible('.wa-edge');
  var folded = document.querySelector('details.wa-target:not([open])');
  var inside = folded.querySelector('.wa-root');
  out.foldedShows = inside.checkVisibility();
  folded.querySelector('summary').click();
  out.clickedOpen = folded.open;
  out.clickedShows = inside.checkVisibility();
  var buttons = document.querySelectorAll('button');
  buttons[1].click();
  out.afterCloseAll = visible('.wa-root');
  buttons[0].click();
  out.afterOpenAll = visible('.wa-root');
  document.body.setAttribute('data-result', JSON.stringify(out));
})();
</script>
"""


class Page:
    pass


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("WHYALIVE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"no browser on PATH ({', '.join(BROWSERS)})")
    pytest.skip("no headless browser on PATH (CI installs chromium)")


def test_the_page_renders_and_expands_in_a_browser(tmp_path):
    browser = _browser()
    kept = {f"p{i}": Page() for i in range(report_html.OPEN_TARGETS + 2)}
    report = whyalive.explain_instances(Page)
    assert len(report) == len(kept)
    page = report.to_html(title="pages")
    file = tmp_path / "report.html"
    file.write_text(page.replace("</body>", HARNESS + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        # a sanitizer preloaded for whyalive's C core (.ci/run) is not the
        # browser's: it would stop the browser itself
        env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
    )
    found = re.search(r'data-result="([^"]*)"', done.stdout)
    assert found, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    result = json.loads(html.unescape(found.group(1)))
    roots = result["roots"]
    assert result["targets"] == len(kept)
    assert roots >= len(kept)  # a root under every target
    # the open targets' trees are drawn, the folded ones' are not
    assert 0 < result["visibleRoots"] < roots
    assert result["visibleEdges"] >= report_html.OPEN_TARGETS
    assert result["foldedShows"] is False
    assert result["clickedOpen"] is True
    assert result["clickedShows"] is True
    assert result["afterCloseAll"] == 0
    assert result["afterOpenAll"] == roots
