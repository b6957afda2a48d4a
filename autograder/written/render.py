"""Markdown with LaTeX, as students write it in Jupyter, to HTML that is safe and needs no network.

Markdown is parsed by markdown-it-py (CommonMark, tables, strikethrough) with raw HTML off, so a `<script>` or
an `<img onerror=...>` in an answer is shown as text. `$...$`, `$$...$$` (mdit-py-plugins' dollarmath) and
bare `\\begin{align}` blocks (amsmath) become MathML through latex2mathml; its output is parsed again and
rebuilt from MathML elements and attributes only, every text escaped. An expression it cannot convert, or
converts leaving a command unknown (`\\foo`), is shown as its escaped source in a `<code>`. Images show only
when they are the cell's own attachments (PNG, JPEG, GIF, WebP, as `data:` URIs); any other image is a note.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

_MATHML_TAGS = frozenset(
    "math mi mn mo ms mtext mspace mrow mfrac msqrt mroot mstyle merror mpadded mphantom menclose msub msup "
    "msubsup munder mover munderover mmultiscripts mprescripts none mtable mtr mtd mlabeledtr semantics "
    "annotation".split())
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator lspace rspace width height depth linethickness columnalign "
    "rowalign columnspacing rowspacing columnlines rowlines frame displaystyle scriptlevel accent accentunder "
    "movablelimits largeop symmetric minsize maxsize form notation mathcolor mathbackground mathsize "
    "columnspan rowspan align voffset encoding".split())
_MATH_THEN_PUNCTUATION = re.compile(r'(<span class="math inline">(?:(?!</span>).)*</span>)([.,;:!?)\]]+)', re.S)
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# latex2mathml knows these environments under another name (it leaves `aligned` unaligned, `&` and all).
_ENVIRONMENTS = {"aligned": ("\\begin{split}", "\\end{split}"),
                 "gathered": ("\\begin{array}{c}", "\\end{array}"),
                 "gather": ("\\begin{array}{c}", "\\end{array}"),
                 "gather*": ("\\begin{array}{c}", "\\end{array}"),
                 "equation": ("", ""), "equation*": ("", "")}


# MathML Core (Chromium) ignores `mathvariant` other than "normal": \mathcal N, \mathbf x, \mathbb R become the
# Unicode letters of that style instead. (first capital, first small letter, first digit or None)
_STYLES = {"bold": (0x1D400, 0x1D41A, 0x1D7CE), "italic": (0x1D434, 0x1D44E, None),
           "bold-italic": (0x1D468, 0x1D482, None), "script": (0x1D49C, 0x1D4B6, None),
           "bold-script": (0x1D4D0, 0x1D4EA, None), "fraktur": (0x1D504, 0x1D51E, None),
           "double-struck": (0x1D538, 0x1D552, 0x1D7D8), "bold-fraktur": (0x1D56C, 0x1D586, None),
           "sans-serif": (0x1D5A0, 0x1D5BA, 0x1D7E2), "bold-sans-serif": (0x1D5D4, 0x1D5EE, 0x1D7EC),
           "sans-serif-italic": (0x1D608, 0x1D622, None), "monospace": (0x1D670, 0x1D68A, 0x1D7F6)}
_HOLES = dict(zip([0x1D455, 0x1D49D, 0x1D4A0, 0x1D4A1, 0x1D4A3, 0x1D4A4, 0x1D4A7, 0x1D4A8, 0x1D4AD, 0x1D4BA,
                   0x1D4BC, 0x1D4C4, 0x1D506, 0x1D50B, 0x1D50C, 0x1D515, 0x1D51D, 0x1D53A, 0x1D53F, 0x1D545,
                   0x1D547, 0x1D548, 0x1D549, 0x1D551], "ℎℬℰℱℋℐℒℳℛℯℊℴℭℌℑℜℨℂℍℕℙℚℝℤ"))


class MathError(ValueError):
    """latex2mathml could not turn an expression into MathML made of MathML only."""


def markdown_html(text: str, attachments: dict | None = None) -> str:
    """HTML for a Markdown text (an answer, a rubric item); `attachments`: the cell's, for its images."""
    return _glue(_markdown().render(text, {"attachments": attachments or {}}))


def inline_html(text: str) -> str:
    """Like `markdown_html` for one line, without the surrounding paragraph."""
    return _glue(_markdown().renderInline(text, {"attachments": {}}))


def _glue(markup: str) -> str:
    """Keep punctuation right after inline math on the math's line (Chromium would break before a `:`)."""
    return _MATH_THEN_PUNCTUATION.sub(r'<span class="nobr">\1\2</span>', markup)


def math_html(latex: str, *, display: bool) -> str:
    """MathML for a LaTeX expression, or its source escaped in a `<code class="tex">` when it cannot be."""
    try:
        return to_mathml(latex, display=display)
    except MathError:
        source = f"$${latex}$$" if display else f"${latex}$"
        return f'<code class="tex" title="this LaTeX could not be rendered">{html.escape(source)}</code>'


def to_mathml(latex: str, *, display: bool) -> str:
    """MathML for `latex`, rebuilt from MathML elements and attributes only; MathError when it cannot be."""
    try:
        raw = convert(_known_environments(latex), display="block" if display else "inline")
        tree = ET.fromstring(raw)
    except Exception as err:  # noqa: BLE001 - latex2mathml raises many kinds; any of them means "cannot"
        raise MathError(str(err)) from None
    return _serialize(tree)


def _known_environments(latex: str) -> str:
    latex = re.sub(r"\\(label|tag)\{[^{}]*\}", "", latex)  # equation labels and tags: nothing to refer to here
    for name, (begin, end) in _ENVIRONMENTS.items():
        latex = latex.replace(f"\\begin{{{name}}}", begin).replace(f"\\end{{{name}}}", end)
    return latex


def _serialize(element) -> str:
    tag = element.tag.rsplit("}", 1)[-1]
    if tag not in _MATHML_TAGS:
        raise MathError(f"<{tag}> is not MathML")
    if tag in ("mi", "mo", "mtext") and re.search(r"\\[A-Za-z]", element.text or ""):
        raise MathError(f"unknown command {element.text}")
    text, attrib = element.text or "", dict(element.attrib)
    if attrib.get("mathvariant") in _STYLES:
        text = _styled(text, _STYLES[attrib.pop("mathvariant")])
    attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in attrib.items()
                         if name in _MATHML_ATTRIBUTES)
    inner = html.escape(text, quote=False)
    for child in element:
        inner += _serialize(child) + html.escape(child.tail or "", quote=False)
    return f"<{tag}{attributes}>{inner}</{tag}>"


def _styled(text: str, starts: tuple) -> str:
    """`text` in Unicode's mathematical letters and digits of one style (other characters as they are)."""
    capital, small, digit = starts

    def one(ch: str) -> str:
        if "A" <= ch <= "Z":
            code = capital + ord(ch) - ord("A")
        elif "a" <= ch <= "z":
            code = small + ord(ch) - ord("a")
        elif "0" <= ch <= "9" and digit is not None:
            code = digit + ord(ch) - ord("0")
        else:
            return ch
        return _HOLES.get(code, chr(code))

    return "".join(map(one, text))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    dollarmath_plugin(md, allow_labels=False, allow_space=True, allow_digits=True, double_inline=True,
                      renderer=lambda content, options: math_html(content, display=options["display_mode"]))
    amsmath_plugin(md, renderer=lambda content: math_html(content, display=True))
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    return md


def _image(self, tokens, idx, options, env) -> str:
    """An attachment of the cell as a data: URI; any other image (it would be fetched) as a note."""
    token = tokens[idx]
    source = token.attrGet("src") or ""
    alt = html.escape(token.content or "")
    data = env.get("attachments", {}).get(source[len("attachment:"):], {}) if source.startswith("attachment:") else {}
    for mime in _IMAGE_TYPES:
        payload = data.get(mime) if isinstance(data, dict) else None
        if isinstance(payload, str) and _is_base64(payload):
            return f'<img src="data:{mime};base64,{"".join(payload.split())}" alt="{alt}">'
    return f'<span class="no-image">[image not shown: {html.escape(source) or alt}]</span>'


def _link_open(self, tokens, idx, options, env) -> str:
    """Links open nothing by themselves; they carry no referrer when a TA follows one."""
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return self.renderToken(tokens, idx, options, env)


def _is_base64(payload: str) -> bool:
    try:
        base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
