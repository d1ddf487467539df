/* The article page's one piece of JavaScript: text selection.
 * It turns a mouse or keyboard selection inside #article-body into code-point offsets
 * (the browser counts UTF-16 units; WorkbenchOffsets converts explicitly), fills the hidden
 * fields of #new-assertion and submits it (htmx saves it). Keys 1, 2, 3 tag the selection;
 * Escape clears it. In the text, N and P move the focus to the next and previous highlight and
 * Enter opens its card. After a delete, the Undo notice stays a few seconds.
 * Everything else on the page is plain forms and links enhanced by htmx. */
(function () {
  "use strict";

  var lastSelection = null;

  function articleBody() { return document.getElementById("article-body"); }
  function newAssertionForm() { return document.getElementById("new-assertion"); }
  function hint() { return document.getElementById("selection-hint"); }

  function isWhitespace(ch) { return /\s/.test(ch); }
  function isLowSurrogate(code) { return code >= 0xdc00 && code <= 0xdfff; }

  /* The current selection as {start, end, quote} in code points, trimmed of outer white space,
   * or null when nothing inside the article is selected. */
  function readSelection() {
    var body = articleBody();
    var selection = window.getSelection();
    if (!body || !selection || selection.rangeCount === 0 || selection.isCollapsed) { return null; }
    var range = selection.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) { return null; }
    var before = document.createRange();
    before.selectNodeContents(body);
    before.setEnd(range.startContainer, range.startOffset);
    var text = body.textContent;
    var start16 = before.toString().length;
    var end16 = start16 + range.toString().length;
    while (start16 < end16 && isWhitespace(text.charAt(start16))) { start16 += 1; }
    while (end16 > start16 && isWhitespace(text.charAt(end16 - 1))) { end16 -= 1; }
    if (start16 >= end16) { return null; }
    // Never cut an astral character (emoji, rare scripts) in half.
    if (start16 > 0 && isLowSurrogate(text.charCodeAt(start16))) { start16 -= 1; }
    if (end16 < text.length && isLowSurrogate(text.charCodeAt(end16))) { end16 += 1; }
    var offsets = window.WorkbenchOffsets;
    return {
      start: offsets.utf16ToCodePoints(text, start16),
      end: offsets.utf16ToCodePoints(text, end16),
      quote: text.slice(start16, end16)
    };
  }

  function showHint(message, state) {
    var el = hint();
    if (!el) { return; }
    el.textContent = message;
    el.classList.toggle("is-ready", state === "ready");
    el.classList.toggle("is-error", state === "error");
  }

  var READY_HINT = null;  // the hint's first text, put back when a selection is cleared

  function resetHint() {
    var el = hint();
    if (el && READY_HINT !== null) { showHint(READY_HINT, ""); }
  }

  function describe(sel) {
    var chars = Array.from(sel.quote);  // code points, so an emoji is never cut in half
    var quote = chars.length > 60 ? chars.slice(0, 57).join("") + "…" : sel.quote;
    var count = sel.end - sel.start;
    return "Selected " + count + " character" + (count === 1 ? "" : "s") + ": “" + quote +
      "”. Press 1 sourced, 2 unsourced, 3 opinion.";
  }

  document.addEventListener("selectionchange", function () {
    if (!newAssertionForm()) { return; }
    if (READY_HINT === null && hint()) { READY_HINT = hint().textContent; }
    var sel = readSelection();
    if (sel) {
      lastSelection = sel;
      showHint(describe(sel), "ready");
    }
  });

  /* Runs before htmx sees the submit (capture phase): fill the span, or stop an empty one. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "new-assertion") { return; }
    var sel = readSelection() || lastSelection;
    if (!sel) {
      event.preventDefault();
      event.stopPropagation();
      showHint("Select a phrase in the article first.", "error");
      return;
    }
    form.elements.start.value = String(sel.start);
    form.elements.end.value = String(sel.end);
    form.elements.quote.value = sel.quote;
    lastSelection = null;
  }, true);

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  var ARROWS = {
    ArrowLeft: ["backward", "character"], ArrowRight: ["forward", "character"],
    ArrowUp: ["backward", "line"], ArrowDown: ["forward", "line"],
    Home: ["backward", "lineboundary"], End: ["forward", "lineboundary"]
  };

  /* Keyboard-only selection: with the article focused, arrows move a caret and shift+arrows
   * extend the selection (ctrl/alt moves by word), without needing caret browsing. */
  function moveCaret(event) {
    var body = articleBody();
    var step = ARROWS[event.key];
    if (!body || !step || !body.contains(event.target)) { return false; }
    var selection = window.getSelection();
    if (selection.rangeCount === 0 || !body.contains(selection.anchorNode)) {
      selection.collapse(body.firstChild || body, 0);
    }
    var unit = (event.ctrlKey || event.altKey) && step[1] === "character" ? "word" : step[1];
    selection.modify(event.shiftKey ? "extend" : "move", step[0], unit);
    return true;
  }

  /* Escape drops the selection (keeping the caret where it is), so 1, 2, 3 then tag nothing. */
  function clearSelection() {
    var body = articleBody();
    var selection = window.getSelection();
    if (body && selection && selection.rangeCount > 0 && !selection.isCollapsed &&
        body.contains(selection.focusNode)) {
      selection.collapse(selection.focusNode, selection.focusOffset);
    }
    if (lastSelection) {
      lastSelection = null;
      resetHint();
    }
  }

  /* The highlights in text order, one stop per assertion (its first piece). */
  function highlightStops() {
    var body = articleBody();
    if (!body) { return []; }
    var seen = {};
    var stops = [];
    var marks = body.querySelectorAll("mark[data-assertion-id]");
    for (var i = 0; i < marks.length; i += 1) {
      var id = marks[i].dataset.assertionId;
      if (!seen[id]) { seen[id] = true; stops.push(marks[i]); }
    }
    return stops;
  }

  /* N / P in the text: focus the next / previous highlight after / before the focused one (or
   * the caret), wrapping around; the caret moves there too, so shift+arrows select from it. */
  function moveToHighlight(forward) {
    var stops = highlightStops();
    if (stops.length === 0) { return; }
    var current = document.activeElement;
    var focused = current && current.closest ? current.closest("mark[data-assertion-id]") : null;
    var index = -1;
    for (var j = 0; focused && j < stops.length; j += 1) {
      if (stops[j].dataset.assertionId === focused.dataset.assertionId) { index = j; }
    }
    var next;
    if (index !== -1) {
      next = (index + (forward ? 1 : -1) + stops.length) % stops.length;
    } else {
      // From the caret: the first highlight after it (or the last before it).
      next = forward ? 0 : stops.length - 1;
      var selection = window.getSelection();
      if (selection && selection.rangeCount > 0 && articleBody().contains(selection.focusNode)) {
        var caret = document.createRange();
        caret.setStart(selection.focusNode, selection.focusOffset);
        var k;
        if (forward) {
          for (k = 0; k < stops.length && caret.comparePoint(stops[k], 0) < 0; k += 1) { /* before */ }
          next = k % stops.length;
        } else {
          for (k = stops.length - 1; k >= 0 && caret.comparePoint(stops[k], 0) >= 0; k -= 1) { /* after */ }
          next = k < 0 ? stops.length - 1 : k;
        }
      }
    }
    var mark = stops[next];
    mark.tabIndex = -1;  // focusable from script only: the text stays one Tab stop
    mark.focus();
    window.getSelection().collapse(mark, 0);
    lastSelection = null;
    resetHint();
    var el = hint();
    if (el) {
      el.textContent = "Highlight " + (next + 1) + " of " + stops.length + ": " +
        (mark.getAttribute("title") || mark.dataset.tag) + ". Enter opens its card.";
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clearSelection(); return; }
    if (moveCaret(event)) { event.preventDefault(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var body = articleBody();
    var inText = body && body.contains(event.target);
    if (inText && (event.key === "n" || event.key === "p")) {
      event.preventDefault();
      moveToHighlight(event.key === "n");
      return;
    }
    var mark = event.target.closest && event.target.closest("mark[data-assertion-id]");
    if (inText && mark && event.key === "Enter") {
      event.preventDefault();
      focusCard(mark.dataset.assertionId);
      return;
    }
    var form = newAssertionForm();
    if (!form || !/^[123]$/.test(event.key)) { return; }
    if (!readSelection() && !lastSelection) { return; }
    var button = form.querySelector('button[data-key="' + event.key + '"]');
    if (button) {
      event.preventDefault();
      button.click();  // a real click, so htmx sends the button's tag with the form
    }
  });

  function markAssertion(id, on) {
    var marks = document.querySelectorAll('mark[data-assertion-id="' + id + '"]');
    for (var i = 0; i < marks.length; i += 1) { marks[i].classList.toggle("is-active", on); }
  }

  function focusCard(id) {
    var card = document.getElementById("assertion-" + id);
    var workspace = document.getElementById("workspace");
    if (!card && workspace && window.htmx) {
      // The card is on another page of the pane: load the page that holds it.
      window.htmx.ajax("GET", "/articles/" + workspace.dataset.articleId + "?focus=" + id,
                       { target: "#workspace", swap: "outerHTML" });
      return;
    }
    if (!card) { return; }
    var focused = document.querySelectorAll(".card.is-focused");
    for (var i = 0; i < focused.length; i += 1) {
      focused[i].classList.remove("is-focused");
      markAssertion(focused[i].dataset.assertionId, false);
    }
    card.classList.add("is-focused");
    var more = card.querySelector("details.card-more");
    if (more) { more.open = true; }  // a compact card unfolds to edit
    markAssertion(id, true);
    if (!keepPlace) { card.scrollIntoView({ block: "nearest" }); }
    card.focus({ preventScroll: true });
  }

  /* In one column the pane (and a new card) lies below the whole text: after tagging, the
   * reader stays where they were reading, and the hint says where the card went. */
  function oneColumn() { return window.matchMedia("(max-width: 60rem)").matches; }
  var keepPlace = false;
  var scrollBeforeSave = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail && event.detail.elt;
    scrollBeforeSave = form && form.id === "new-assertion" && oneColumn() ? window.scrollY : null;
  });

  /* Clicking a highlight (not dragging a selection) opens its card: the innermost mark wins. */
  document.addEventListener("click", function (event) {
    var mark = event.target.closest && event.target.closest("mark[data-assertion-id]");
    if (!mark) { return; }
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed) { return; }
    focusCard(mark.dataset.assertionId);
  });

  /* After a delete the Undo notice stays a few seconds (data-undo-seconds), and longer while it
   * holds the focus or the pointer, so nobody loses it while reaching for it. */
  function scheduleUndoHide() {
    var notice = document.getElementById("undo");
    if (!notice || !notice.dataset.undoSeconds || notice.dataset.hideScheduled) { return; }
    notice.dataset.hideScheduled = "yes";
    var wait = (Number(notice.dataset.undoSeconds) || 10) * 1000;
    function later() {
      window.setTimeout(function () {
        if (!document.body.contains(notice)) { return; }
        if (notice.contains(document.activeElement) || notice.matches(":hover")) {
          later();
          return;
        }
        notice.hidden = true;
      }, wait);
    }
    later();
  }
  document.addEventListener("DOMContentLoaded", scheduleUndoHide);
  document.addEventListener("htmx:afterSettle", scheduleUndoHide);

  /* The phrase tag bar needs this script; without it the page offers the sentence list. */
  function revealTagBar() {
    var form = newAssertionForm();
    if (form) { form.hidden = false; }
  }
  document.addEventListener("DOMContentLoaded", revealTagBar);
  document.addEventListener("htmx:load", revealTagBar);

  /* The sentence list is kept across htmx swaps (hx-preserve); which of its sentences carry
   * the reader's own assertions comes with every swap (#sentence-state) and is marked here. */
  function markTaggedSentences() {
    var state = document.getElementById("sentence-state");
    var list = document.getElementById("sentences");
    if (!state || !list) { return; }
    var tagged = {};
    (state.dataset.tagged || "").split(" ").forEach(function (entry) {
      var parts = entry.split(":");
      if (parts[0]) { tagged[parts[0]] = parts[1].split(",").join(", "); }
    });
    var items = list.querySelectorAll("li[data-sentence]");
    for (var i = 0; i < items.length; i += 1) {
      var tags = tagged[items[i].dataset.sentence];
      items[i].classList.toggle("is-tagged", Boolean(tags));
      var note = items[i].querySelector(".sentence-mine");
      if (note) { note.textContent = tags ? "✓ You tagged it " + tags : ""; }
    }
  }
  document.addEventListener("htmx:afterSettle", markTaggedSentences);

  /* A save answered with its changes alone (out-of-band swaps) keeps the workspace: the
   * server names the new card in an event instead, read before the swaps settle. */
  document.addEventListener("workbench:focus", function (event) {
    var workspace = document.getElementById("workspace");
    if (workspace && event.detail && event.detail.value) {
      workspace.dataset.focus = event.detail.value;
    }
  });

  /* After htmx swaps the workspace in, focus what the server names (a new or edited card):
   * once, though out-of-band swaps settle one by one. */
  document.addEventListener("htmx:afterSettle", function () {
    var workspace = document.getElementById("workspace");
    if (!workspace || !workspace.dataset.focus) { return; }
    var id = workspace.dataset.focus;
    delete workspace.dataset.focus;
    if (id.indexOf("assertion-") === 0) {
      keepPlace = scrollBeforeSave !== null;
      focusCard(id.slice("assertion-".length));
      keepPlace = false;
      if (scrollBeforeSave !== null) {
        window.scrollTo(0, scrollBeforeSave);
        scrollBeforeSave = null;
        var card = document.getElementById(id);
        var pill = card && card.querySelector(".tag-pill");
        showHint("Saved" + (pill ? " as " + pill.textContent.trim().toLowerCase() : "") +
                 "; its card is in the pane below the text.", "ready");
      }
    } else {
      var el = document.getElementById(id);
      if (el) { el.focus({ preventScroll: false }); }
    }
  });
}());
