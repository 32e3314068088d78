"""Charts are inline SVG on pages whose Content-Security-Policy refuses inline styles: the SVG must carry
its look in presentation attributes, not in a <style> element or style="" attributes."""

import re

from nervecare.outcomes.charts import _figure, to_svg


def _chart() -> str:
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [6, 4, 3], color="#a4161a", linestyle="--", linewidth=1.5, label="pain")
    ax.fill_between([1, 2, 3], [5, 3, 2], [7, 5, 4], alpha=0.3)
    ax.set_title("Pain")
    ax.legend()
    return to_svg(fig, 'Pain "now" & then')


def test_chart_svg_has_no_style_element_or_attribute():
    svg = _chart()
    assert svg.startswith("<svg")
    assert "<style" not in svg
    assert not re.search(r"\sstyle=", svg)


def test_chart_keeps_its_look_as_presentation_attributes():
    svg = _chart()
    assert 'stroke="#a4161a"' in svg  # the line colour
    assert 'stroke-dasharray="' in svg  # dashed
    assert 'fill-opacity="0.3"' in svg  # the shaded band
    assert 'text-anchor="middle"' in svg and 'font-size="12px"' in svg  # the title text
    root = svg.split(">", 1)[0]
    assert 'class="chart-svg"' in root and 'stroke-linejoin="round"' in root  # matplotlib's global rule
    assert 'aria-label="Pain &quot;now&quot; &amp; then"' in root and 'role="img"' in root
