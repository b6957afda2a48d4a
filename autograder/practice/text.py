"""Markdown with LaTeX as a terminal shows it: `\\bar\\alpha_{t-1}` becomes `ᾱ_(t-1)`, `\\frac{a}{b+c}` becomes
`a/(b+c)`, Greek letters and operators their Unicode characters (pylatexenc's latex-to-text, with the course's
macros added and grouping kept where dropping the braces would change the meaning)."""

from __future__ import annotations

import re
import textwrap
from functools import lru_cache

from pylatexenc import latexwalker, macrospec
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db


def _grouped(node, l2tobj) -> str:
    """A macro argument as text, in parentheses when it is longer than one symbol."""
    text = l2tobj.nodelist_to_text([node]).strip() if node is not None else ""
    return text if len(text) <= 1 or re.fullmatch(r"[\w.]+|\(.*\)|√\(.*\)", text) else f"({text})"


def _frac(n, l2tobj) -> str:
    num, den = n.nodeargd.argnlist[-2:]
    return f"{_grouped(num, l2tobj)}/{_grouped(den, l2tobj)}"


def _sqrt(n, l2tobj) -> str:
    return f"√({l2tobj.nodelist_to_text([n.nodeargd.argnlist[-1]]).strip()})"


_MACROS = [
    MacroTextSpec("frac", simplify_repl=_frac), MacroTextSpec("dfrac", simplify_repl=_frac),
    MacroTextSpec("tfrac", simplify_repl=_frac), MacroTextSpec("sqrt", simplify_repl=_sqrt),
    MacroTextSpec("argmin", "argmin"), MacroTextSpec("argmax", "argmax"),
    MacroTextSpec("mathcal", "%s"), MacroTextSpec("mathbb", "%s"), MacroTextSpec("mathbf", "%s"),
    MacroTextSpec("mathrm", "%s"), MacroTextSpec("operatorname", "%(2)s"), MacroTextSpec("text", "%s"),
    MacroTextSpec("boldsymbol", "%s"), MacroTextSpec("|", "‖"), MacroTextSpec("top", "ᵀ"),
    MacroTextSpec("mid", " | "), MacroTextSpec("odot", "⊙"), MacroTextSpec("propto", "∝"),
    MacroTextSpec("nabla", "∇"), MacroTextSpec("partial", "∂"), MacroTextSpec("approx", "≈"),
    MacroTextSpec("quad", "  "), MacroTextSpec("qquad", "    "), MacroTextSpec(",", " "),
    MacroTextSpec(";", " "), MacroTextSpec("!", ""), MacroTextSpec("left", ""), MacroTextSpec("right", ""),
    MacroTextSpec("big", ""), MacroTextSpec("Big", ""), MacroTextSpec("bigl", ""), MacroTextSpec("bigr", ""),
    MacroTextSpec("lVert", "‖"), MacroTextSpec("rVert", "‖"), MacroTextSpec("lvert", "|"),
    MacroTextSpec("rvert", "|"), MacroTextSpec("langle", "⟨"), MacroTextSpec("rangle", "⟩"),
    MacroTextSpec("dots", "…"), MacroTextSpec("ldots", "…"), MacroTextSpec("cdots", "⋯"),
    MacroTextSpec("epsilon", "ε"), MacroTextSpec("varepsilon", "ε"), MacroTextSpec("ell", "ℓ"),
    MacroTextSpec("arg", "arg"), MacroTextSpec("max", "max"),
    MacroTextSpec("min", "min"), MacroTextSpec("log", "log"), MacroTextSpec("exp", "exp"),
    MacroTextSpec("det", "det"), MacroTextSpec("tr", "tr"), MacroTextSpec("KL", "KL"),
]


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    db = get_default_latex_context_db().filter_context()
    db.add_context_category("diffcourse", prepend=True, macros=_MACROS)
    return LatexNodes2Text(latex_context=db, math_mode="text", strict_latex_spaces="based-on-source")


@lru_cache(maxsize=1)
def _parser_context():
    """The LaTeX parser's macros: pylatexenc's, plus the argument shapes of those it does not know."""
    db = latexwalker.get_default_latex_context_db().filter_context()
    db.add_context_category("diffcourse", prepend=True, macros=[
        macrospec.MacroSpec("dfrac", "{{"), macrospec.MacroSpec("tfrac", "{{"),
        macrospec.MacroSpec("operatorname", "*{"), macrospec.MacroSpec("mathbb", "{"),
        macrospec.MacroSpec("mathcal", "{"), macrospec.MacroSpec("boldsymbol", "{"),
        macrospec.MacroSpec("text", "{"), macrospec.MacroSpec("mathrm", "{")])
    return db


_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}")


def _keep_script_groups(latex: str) -> str:
    """`x_{t-1}` -> `x_{(t-1)}` and `\\sigma^{2}` -> `\\sigma^2`: braces of a multi-symbol script become
    parentheses (pylatexenc would drop them and `x_t-1` reads as x_t minus 1)."""
    def one(m):
        body = m.group(2)
        simple = re.fullmatch(r"\s*(\w+|\\[A-Za-z]+)\s*", body)
        return f"{m.group(1)}{{{body}}}" if simple else f"{m.group(1)}{{({body})}}"
    return _SCRIPT.sub(one, latex)


def terminal(markdown: str, width: int = 96) -> str:
    """`markdown` (with $...$ and $$...$$ math) as plain text for a terminal, wrapped at `width`."""
    source = _keep_script_groups(markdown.replace("$$", "\n$$\n"))
    nodes = latexwalker.LatexWalker(source, latex_context=_parser_context(), tolerant_parsing=True).get_latex_nodes()[0]
    text = _converter().nodelist_to_text(nodes)
    text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", text.replace("**", "").replace("`", ""))
    lines = []
    for paragraph in text.split("\n"):
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
