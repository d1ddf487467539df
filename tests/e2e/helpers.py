"""What a person does in the browser, and what the tests check afterwards (no fixtures here)."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# The article every annotation test opens: an emoji, a ZWJ sequence (woman health worker), a
# combining accent (e + U+0301, which NFC composes), Arabic between directional marks, CRLF line
# ends. The phrase the person selects comes after all of them.
TRICKY_ORIGINAL = (
    "Health desk \U0001F600 weekly report.\r\n"
    "The \U0001F469\u200D\u2695\uFE0F team met at Cafe\u0301 Nord on Monday.\r\n"
    "A visitor wrote \u200F\u0645\u0631\u062D\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u200E on the board.\r\n"
    "Officials claimed the river was cleaner than ever before.\r\n"
    "Nobody published the measurements.\r\n"
)
TRICKY_PHRASE = "the river was cleaner than ever"

PLAIN_ORIGINAL = (
    "Markets rose sharply today.\n"
    "The minister said growth would double next year.\n"
    "Critics called the forecast reckless.\n"
)


class Api:
    """A tiny JSON client of the live server with a bearer token (the reviewer's own view)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as error:
            with error:
                raw = error.read()
            return error.code, (json.loads(raw) if raw else None)

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def post(self, path: str, body: Any) -> Any:
        status, answer = self.request("POST", path, body)
        assert status == 201, (path, status, answer)
        return answer

    def assertions(self, article_id: int) -> list[dict[str, Any]]:
        return list(self.get(f"/articles/{article_id}/assertions")["items"])

    def body(self, article_id: int) -> str:
        return str(self.get(f"/articles/{article_id}")["body"])

    def tag(self, article_id: int, phrase: str, tag: str, note: str = "") -> dict[str, Any]:
        """Save an assertion over the first occurrence of ``phrase`` (arranging, not testing)."""
        body = self.body(article_id)
        start = body.index(phrase)
        return dict(self.post(f"/articles/{article_id}/assertions",
                              {"start": start, "end": start + len(phrase), "quote": phrase,
                               "tag": tag, "note": note}))


def log_in(page: Page, username: str, password: str) -> None:
    """Through the form at /login, as a person types it."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".topbar .who")).to_contain_text(username)


# JavaScript: a Range over the first occurrence of a phrase in #article-body's text (which may be
# split over several text nodes by <mark> elements). Offsets are UTF-16, as the DOM counts.
_PHRASE_RANGE_JS = """
([selector, phrase]) => {
  const root = document.querySelector(selector);
  const at = root.textContent.indexOf(phrase);
  if (at < 0) { return null; }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let seen = 0, startSet = false, node;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (!startSet && at < seen + length) { range.setStart(node, at - seen); startSet = true; }
    if (startSet && at + phrase.length <= seen + length) {
      range.setEnd(node, at + phrase.length - seen);
      break;
    }
    seen += length;
  }
  const rects = Array.from(range.getClientRects()).filter(r => r.width > 0 && r.height > 0);
  return rects.map(r => ({x: r.left, y: r.top, width: r.width, height: r.height}));
}
"""


def phrase_rects(page: Page, phrase: str, selector: str = "#article-body") -> list[dict[str, float]]:
    """The client rectangles of ``phrase`` (one per line it spans), scrolled into view."""
    page.locator(selector).scroll_into_view_if_needed()
    rects = page.evaluate(_PHRASE_RANGE_JS, [selector, phrase])
    assert rects, f"{phrase!r} is not in {selector}"
    return list(rects)


def drag_select(page: Page, phrase: str) -> None:
    """Select ``phrase`` with the real mouse: press just inside its first character, drag to just
    inside its last, release (the caret snaps to the nearer character boundary)."""
    rects = phrase_rects(page, phrase)
    assert len(rects) == 1, f"{phrase!r} should sit on one line, got {rects}"
    box = rects[0]
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=4)
    page.mouse.move(box["x"] + box["width"] - 1, y, steps=4)
    page.mouse.up()


def click_phrase(page: Page, phrase: str) -> None:
    """A plain click in the middle of ``phrase`` (e.g. on a highlight)."""
    box = phrase_rects(page, phrase)[0]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def selected_text(page: Page) -> str:
    return str(page.evaluate("() => window.getSelection().toString()"))


def tab_to(page: Page, selector: str, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until ``selector`` has the keyboard focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{limit} presses of {key} never reached {selector}")


def select_at_line_start(page: Page, line: int, length: int) -> str:
    """Tab to the article text, put the caret at the start of ``line`` (0 the first) with the
    arrow keys, extend the selection ``length`` characters with shift+right; the selection."""
    tab_to(page, "#article-body")
    for _ in range(line):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    for _ in range(length):
        page.keyboard.press("Shift+ArrowRight")
    return selected_text(page)


def marked_text(page: Page, assertion_id: int) -> str:
    """The text highlighted for one assertion, joined over all its <mark> pieces."""
    return str(page.evaluate(
        """(id) => Array.from(document.querySelectorAll(
             `#article-body mark[data-assertion-id="${id}"]`)).map(m => m.textContent).join("")""",
        str(assertion_id)))


def check_accessibility(page: Page, name: str) -> None:
    """Run axe-core (served from the npm lock file's node_modules at /vendor/axe.min.js, so the
    page's CSP allows it) and fail on any violation of serious or critical impact."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/vendor/axe.min.js")
    result = page.evaluate(
        """async () => {
             const r = await axe.run(document, {resultTypes: ["violations"]});
             return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " +
                 (n.failureSummary || "").replace(/\\s+/g, " "))}));
           }""")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe on the {name} page found serious/critical violations:\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad)


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save tests/e2e/artifacts/<name>.png. Full page: the annotation pane is a sticky column that
    scrolls inside the viewport, so the viewport first grows until the whole pane fits."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page and page.viewport_size and page.locator(".pane").count():
        needed = page.evaluate(
            """() => { const pane = document.querySelector(".pane");
                       const hidden = pane.scrollHeight - pane.clientHeight;
                       return Math.ceil(document.documentElement.scrollHeight + hidden + 24); }""")
        size = page.viewport_size
        if needed > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(needed, 6000)})
            try:
                page.screenshot(path=str(path), full_page=True, caret="initial")
            finally:
                page.set_viewport_size(size)
            return path
    # caret="initial": Playwright's caret hiding leaves style="" on inputs, which htmx's settle
    # step then copies, tripping the page's CSP (style-src 'self') on the next swap.
    page.screenshot(path=str(path), full_page=full_page, caret="initial")
    return path
