"""Overlapping spans render as nested marks: the text survives intact and every span covers
exactly its own text (checked by parsing the HTML back)."""
from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.highlights import Span, render_highlighted


class MarkReader(HTMLParser):
    """Collects the full text and, per assertion id, the text inside its marks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.stack: list[tuple[int, str]] = []
        self.covered: dict[int, list[tuple[int, int]]] = {}

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        assert tag == "mark"
        values = dict(attrs)
        self.stack.append((int(values["data-assertion-id"]), values["data-tag"]))

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        self.stack.pop()

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        start = len(self.text)
        self.text += data
        for assertion_id, _ in self.stack:
            self.covered.setdefault(assertion_id, []).append((start, len(self.text)))


def spans_of(covered: list[tuple[int, int]]) -> tuple[int, int]:
    for (_, end), (start, _) in zip(covered, covered[1:]):
        assert end == start, "a span's marks must be contiguous"
    return covered[0][0], covered[-1][1]


TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n😀é\u0301ق\u200f")), min_size=1,
               max_size=60)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), body=TEXT)
def test_every_span_covers_exactly_its_text(data, body):
    count = data.draw(st.integers(0, 8))
    spans = []
    for index in range(count):
        start = data.draw(st.integers(0, len(body) - 1))
        end = data.draw(st.integers(start + 1, len(body)))
        spans.append(Span(index + 1, start, end, data.draw(st.sampled_from(
            ["sourced", "unsourced", "opinion"]))))
    reader = MarkReader()
    reader.feed(str(render_highlighted(body, spans)))
    reader.close()
    assert reader.text == body
    for span in spans:
        assert spans_of(reader.covered[span.id]) == (span.start, span.end)


def test_overlap_nests_the_longer_span_outside():
    html = str(render_highlighted("abcdef", [Span(1, 0, 4, "sourced"), Span(2, 2, 6, "opinion")]))
    assert html.count("<mark") == 4  # ab | cd (both) | ef
    assert 'data-assertion-id="1"' in html.split("cd")[0].rsplit("ab", 1)[1]


def test_markup_in_the_text_is_escaped():
    html = str(render_highlighted("<b>x</b>", [Span(1, 0, 3, "opinion", 'a"b')]))
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert 'title="a&#34;b"' in html


def test_only_pieces_under_several_spans_get_the_neutral_overlap_mark():
    html = render_highlighted("abcdefghij", [Span(1, 0, 6, "sourced"), Span(2, 3, 9, "unsourced"),
                                             Span(3, 4, 5, "unsourced")])
    # "abc" and "ghi" lie under one span each: their own tint; "d", "e" and "f" under several.
    assert html.count("hl-multi") == 3
    assert '<mark data-assertion-id="1" data-tag="sourced" class="hl hl-sourced" title="sourced">abc' in html
    assert ('class="hl hl-multi hl-sourced" title="sourced + unsourced: 3 assertions overlap">'
            in html)
    assert 'title="sourced + unsourced: 2 assertions overlap"' in html


def test_a_span_names_itself_where_it_starts_and_an_overlap_by_its_outer_mark():
    # Inside an overlap the span's own title is left to the piece where it starts: a thousand
    # overlapping spans would otherwise repeat their titles thousands of times.
    html = str(render_highlighted("abcdefgh", [Span(1, 0, 8, "sourced", "sourced · ann", 1),
                                               Span(2, 2, 6, "opinion", "opinion · bob", 2),
                                               Span(3, 4, 8, "unsourced", "unsourced · cy", 3)]))
    # ab (1) | cd (1, 2 starts) | ef (1, 2 goes on, 3 starts) | gh (1, 3 goes on)
    for label in ("sourced · ann", "opinion · bob", "unsourced · cy"):
        assert html.count(f'title="{label}"') == 1, label
    assert ('<mark data-assertion-id="1" data-tag="sourced" class="hl hl-multi hl-sourced" '
            'title="sourced + opinion + unsourced: 3 assertions overlap">'
            '<mark data-assertion-id="2" data-tag="opinion" class="hl hl-opinion">'
            '<mark data-assertion-id="3" data-tag="unsourced" class="hl hl-unsourced" '
            'data-who="3" title="unsourced · cy">ef' in html)
    assert '<mark data-assertion-id="3" data-tag="unsourced" class="hl hl-unsourced">gh' in html


def test_the_same_body_and_spans_render_once():
    spans = [Span(1, 0, 3, "sourced"), Span(2, 1, 2, "opinion")]
    assert render_highlighted("abc", spans) is render_highlighted("abc", list(spans))
    assert render_highlighted("abc", spans[:1]) != render_highlighted("abc", spans)


def test_only_bodies_of_moderate_length_are_kept_drawn():
    from workbench import highlights

    highlights._render.cache_clear()
    short = "Prices doubled in 2024."
    long = "word " * (highlights.CACHED_BODY_LIMIT // 5 + 1)
    spans = [highlights.Span(1, 0, 6, "sourced")]
    for body in (short, long, short, long):
        drawn = highlights.render_highlighted(body, spans)
        assert drawn.count("<mark") == 1 and drawn.endswith(body[-10:])
    info = highlights._render.cache_info()
    assert (info.hits, info.currsize) == (1, 1)  # the short one came back kept; the long never
