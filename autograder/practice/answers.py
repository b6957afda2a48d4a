"""Answers a learner types, and the checkers that judge them: numbers, expressions and choices.

Input is parsed by sympy from a restricted grammar: the characters of arithmetic, the variables the question
names, and a few functions (sqrt, exp, log, ...). Nothing a learner types is ever evaluated as Python: a name
that is not on the list is refused before sympy sees the text, the parsed tree is evaluated by walking it in
floating point (so `9**9**9**9` overflows at once instead of being computed exactly), and anything sympy cannot
parse is "not understood, try again".

Two expressions are equivalent when they agree at a dozen random points of the variables' stated ranges (the way
WeBWorK and STACK's numerical tests compare answers); a named near miss is recognised the same way and answered
with its own message (a missing square root, a flipped sign, alpha_bar_t for alpha_bar_{t-1}).
"""

from __future__ import annotations

import math
import random
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from io import StringIO

import sympy
from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication, parse_expr,
                                        standard_transformations)

_FUNCTIONS = {"sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "ln": sympy.log, "sin": sympy.sin,
              "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "abs": sympy.Abs, "pi": sympy.pi,
              "e": sympy.E}
# What sympy's parser itself emits (names a learner cannot type: the tokens are checked first).
_GLOBALS = {name: getattr(sympy, name) for name in ("Integer", "Float", "Symbol", "Rational", "Mul", "Add", "Pow")}
_TRANSFORMS = standard_transformations + (implicit_multiplication, convert_xor)
_ALLOWED = re.compile(r"^[A-Za-z0-9_+\-*/^().,\s]*$")
_MAX_INPUT = 400
_POINTS = 12


@dataclass(frozen=True)
class Verdict:
    """The judgement of one answer: `correct`, the message to show, and `retry` when the input was not
    understood (the learner is asked again and nothing is counted)."""

    correct: bool
    message: str
    retry: bool = False


class InputError(ValueError):
    """The input is not a number or an expression in the question's variables."""


@dataclass(frozen=True)
class Var:
    """A variable of a symbolic answer: the name a learner types, its LaTeX, and the range it is sampled from
    when expressions are compared (a range where every expression the question can produce is defined).

    A derived variable (`means=`, e.g. `alpha_bar_t` meaning `alpha_bar_prev*(1 - beta_t)`) is replaced by its
    definition before comparing, so an answer may use whichever of the related symbols it likes."""

    name: str
    latex: str
    low: float = 0.1
    high: float = 0.9
    means: str | None = None  # a derived variable: its definition in the other variables (e.g. alpha_bar_t)


@dataclass(frozen=True)
class NearMiss:
    """A named wrong answer (a value, an expression in the input syntax, or an option index) and what to say."""

    answer: object
    message: str


@lru_cache(maxsize=8192)
def parse(text: str, variables: tuple[Var, ...] = ()) -> sympy.Expr:
    """An unevaluated sympy expression for `text`; InputError (with what to fix) when it is not one."""
    text = text.strip().replace("−", "-").replace("×", "*").replace("·", "*")
    if not text:
        raise InputError("empty answer")
    if len(text) > _MAX_INPUT:
        raise InputError(f"answer longer than {_MAX_INPUT} characters")
    if not _ALLOWED.match(text):
        bad = sorted({ch for ch in text if not _ALLOWED.match(ch)})
        raise InputError(f"unexpected character(s) {' '.join(bad)}: use + - * / ^ ( ) and the names listed")
    names = {v.name: sympy.Symbol(v.name, real=True) for v in variables}
    try:
        tokens = list(tokenize.generate_tokens(StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
        raise InputError(f"unbalanced parentheses or a stray symbol ({err.args[0]})") from None
    for token in tokens:
        if token.type == tokenize.NAME and token.string not in names and token.string not in _FUNCTIONS:
            known = ", ".join(list(names) + ["sqrt", "exp", "log", "pi"])
            raise InputError(f"unknown name {token.string!r}: use {known}")
    try:
        expr = parse_expr(text, local_dict={**_FUNCTIONS, **names}, global_dict=_GLOBALS,
                          transformations=_TRANSFORMS, evaluate=False)
    except Exception:  # noqa: BLE001 - sympy's parser raises many kinds; all of them mean "not understood"
        raise InputError("not an expression: check the parentheses and the operators") from None
    if not isinstance(expr, sympy.Expr):
        raise InputError("not an expression")
    return expr


_MATH = {sympy.exp: math.exp, sympy.log: math.log, sympy.sin: math.sin, sympy.cos: math.cos, sympy.tan: math.tan,
         sympy.tanh: math.tanh, sympy.Abs: abs}


def evaluate(expr: sympy.Expr, env: dict[str, float]) -> float | None:
    """`expr` at the point `env` (name -> value) in floating point, walking the tree itself (sympy would evaluate
    `9**9**9**9` exactly); None where it is undefined, complex, infinite or overflows."""
    try:
        value = _walk(expr, env)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, KeyError, RecursionError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return float(value)


def _walk(e, env):
    if e.is_Symbol:
        return env[e.name]
    if e.is_Number or isinstance(e, sympy.NumberSymbol):
        return float(e)
    args = [_walk(a, env) for a in e.args]
    if e.is_Add:
        return math.fsum(args)
    if e.is_Mul:
        return math.prod(args)
    if e.is_Pow:
        base, exponent = args
        return math.pow(base, exponent)  # ValueError for a negative base and a fractional power, OverflowError
    if e.func in _MATH:
        return _MATH[e.func](*args)
    raise TypeError(f"cannot evaluate {e.func}")


@lru_cache(maxsize=256)
def _environments(variables: tuple[Var, ...]) -> tuple[dict, ...]:
    """The sampled points, with the derived variables computed from the free ones."""
    free = tuple(v for v in variables if not v.means)
    return tuple(_with_derived({v.name: x for v, x in zip(free, point)}, variables) for point in _points(free))


def _with_derived(env: dict[str, float], variables: tuple[Var, ...]) -> dict[str, float]:
    """`env` (the free variables' values) with the derived variables computed from it."""
    env = dict(env)
    derived = [(v.name, parse(v.means, variables)) for v in variables if v.means]
    for _ in derived:  # definitions may refer to each other: one pass per definition reaches them all
        for name, definition in derived:
            value = evaluate(definition, env)
            if value is not None:
                env[name] = value
    return env


@lru_cache(maxsize=64)
def _points(free: tuple[Var, ...]) -> tuple[tuple[float, ...], ...]:
    rng = random.Random("points:" + ",".join(v.name for v in free))
    return tuple(tuple(rng.uniform(v.low, v.high) for v in free) for _ in range(_POINTS))


def values(expr: sympy.Expr, variables: tuple[Var, ...]) -> tuple[float | None, ...]:
    """`expr` at each sampled point of the variables (None where it is undefined there)."""
    return tuple(evaluate(expr, env) for env in _environments(variables))


@lru_cache(maxsize=4096)
def _reference(text: str, variables: tuple[Var, ...], transform: str = "") -> tuple[float | None, ...]:
    """The values of a question's own expression (or of its negation, square, ...), computed once."""
    expr = parse(text, variables)
    expr = {"": expr, "neg": -expr, "square": expr ** 2, "sqrt": sympy.sqrt(expr), "inverse": 1 / expr}[transform]
    return values(expr, variables)


def same(a: tuple[float | None, ...], b: tuple[float | None, ...], rtol: float = 1e-7) -> bool:
    """Whether two expressions' values agree at every point where either is defined (at least half of them)."""
    agreed = 0
    for va, vb in zip(a, b):
        if va is None and vb is None:
            continue
        if va is None or vb is None or abs(va - vb) > rtol * (1 + abs(vb)):
            return False
        agreed += 1
    return agreed >= _POINTS // 2


def equivalent(a: sympy.Expr, b: sympy.Expr, variables: tuple[Var, ...]) -> bool:
    """Whether `a` and `b` agree at every sampled point where either is defined (at least half of them)."""
    return same(values(a, variables), values(b, variables))


def format_number(value: float, digits: int = 4) -> str:
    """`value` with `digits` significant digits, in plain notation where it reads well."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


@dataclass(frozen=True)
class Numeric:
    """A number, accepted within `rtol` (relative) or `atol` (absolute), whichever is larger."""

    value: float
    rtol: float = 1e-3
    atol: float = 0.0
    near_misses: tuple[NearMiss, ...] = ()
    kind = "numeric"

    def check(self, text: str) -> Verdict:
        try:
            given = _number(text)
        except InputError as err:
            return Verdict(False, f"Not understood: {err}. Type a number or an arithmetic expression "
                                  "(e.g. 0.25, 1/3, sqrt(2)/2, exp(-1)).", retry=True)
        if self.accepts(given):
            return Verdict(True, f"Correct: {format_number(self.value, 6)}.")
        for miss in self.near_misses:
            if _close(given, float(miss.answer), self.rtol, self.atol):
                return Verdict(False, f"Not quite: {miss.message}")
        if _close(given, -self.value, self.rtol, self.atol):
            return Verdict(False, "Not quite: the sign is flipped.")
        return Verdict(False, f"Incorrect: {format_number(given, 6)} is not within {self.tolerance()} of the answer.")

    def accepts(self, given: float) -> bool:
        return _close(given, self.value, self.rtol, self.atol)

    def tolerance(self) -> str:
        parts = [f"{self.rtol * 100:g} %"] if self.rtol else []
        parts += [f"±{self.atol:g}"] if self.atol else []
        return " or ".join(parts)

    def typed(self) -> str:
        return repr(float(self.value))

    def latex(self) -> str:
        mantissa, _, exponent = format_number(self.value, 6).partition("e")
        return rf"{mantissa} \times 10^{{{exponent}}}" if exponent else mantissa


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= max(atol, rtol * abs(b))


_PLAIN_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _number(text: str) -> float:
    if _PLAIN_NUMBER.match(text):  # the usual answer: no parser needed
        value = float(text)
        if math.isfinite(value):
            return value
        raise InputError("not a finite real number")
    value = evaluate(parse(text), {})
    if value is None:
        raise InputError("not a finite real number")
    return value


@dataclass(frozen=True)
class Symbolic:
    """An expression in `variables` (written in the input syntax), accepted when equivalent."""

    expr: str
    variables: tuple[Var, ...]
    near_misses: tuple[NearMiss, ...] = ()
    kind = "symbolic"

    def __post_init__(self):
        parse(self.expr, self.variables)  # a question's own answer must parse
        for miss in self.near_misses:
            parse(str(miss.answer), self.variables)

    def check(self, text: str) -> Verdict:
        try:
            given = values(parse(text, self.variables), self.variables)
        except InputError as err:
            return Verdict(False, f"Not understood: {err}.", retry=True)
        if same(given, _reference(self.expr, self.variables)):
            return Verdict(True, "Correct.")
        for miss in self.near_misses:
            if same(given, _reference(str(miss.answer), self.variables)):
                return Verdict(False, f"Not quite: {miss.message}")
        for transform, message in (("neg", "the sign is flipped."),
                                   ("square", "this is the square of the answer: a square root is missing."),
                                   ("sqrt", "this is the square root of the answer: square it."),
                                   ("inverse", "this is the reciprocal of the answer.")):
            if same(given, _reference(self.expr, self.variables, transform)):
                return Verdict(False, f"Not quite: {message}")
        return Verdict(False, "Incorrect: not equivalent to the answer.")

    def typed(self) -> str:
        return self.expr

    def at(self, **free: float) -> float:
        """The answer's value where the free variables take the given values (derived ones follow)."""
        value = evaluate(parse(self.expr, self.variables), _with_derived(free, self.variables))
        if value is None:
            raise ValueError(f"{self.expr} is undefined at {free}")
        return value

    def latex(self) -> str:
        return _latex(self.expr, self.variables)

    def names(self) -> str:
        """The variables as a learner reads them: `alpha_bar_t` for $\\bar\\alpha_t$, ..."""
        return ", ".join(f"`{v.name}`" if v.name == v.latex else f"`{v.name}` for ${v.latex}$"
                         for v in self.variables)


_TRUE = {"t", "true", "yes", "y"}
_FALSE = {"f", "false", "no", "n"}


@dataclass(frozen=True)
class Choice:
    """One correct option among `options` (Markdown); `notes` says, per wrong option, why it is wrong."""

    options: tuple[str, ...]
    correct: int
    notes: dict = field(default_factory=dict)
    kind = "choice"

    def __post_init__(self):
        if not 0 <= self.correct < len(self.options) or len(set(self.options)) != len(self.options):
            raise ValueError("a choice needs distinct options and a correct index among them")

    @property
    def true_false(self) -> bool:
        return self.options == ("True", "False")

    def index(self, text: str) -> int:
        answer = text.strip().lower().strip("().").strip()
        if self.true_false and answer in _TRUE | _FALSE:
            return 0 if answer in _TRUE else 1
        if len(answer) == 1 and "a" <= answer <= "z" and ord(answer) - ord("a") < len(self.options):
            return ord(answer) - ord("a")
        if answer.isdigit() and 1 <= int(answer) <= len(self.options):
            return int(answer) - 1
        letters = "/".join(self.letter(i) for i in range(len(self.options)))
        raise InputError(f"answer {'true or false' if self.true_false else 'with a letter'} ({letters})")

    def letter(self, i: int) -> str:
        return "abcdefghijklmnopqrstuvwxyz"[i]

    def check(self, text: str) -> Verdict:
        try:
            chosen = self.index(text)
        except InputError as err:
            return Verdict(False, f"Not understood: {err}.", retry=True)
        if chosen == self.correct:
            return Verdict(True, "Correct.")
        note = self.notes.get(chosen)
        return Verdict(False, f"Incorrect: ({self.letter(chosen)}) {note or 'is not the answer.'}")

    def typed(self) -> str:
        return ("true" if self.correct == 0 else "false") if self.true_false else self.letter(self.correct)

    def latex(self) -> str:
        return f"({self.letter(self.correct)}) {self.options[self.correct]}"


@lru_cache(maxsize=1024)
def _latex(expr: str, variables: tuple[Var, ...]) -> str:
    symbols = {v.name: sympy.Symbol(v.name, real=True) for v in variables}
    names = {symbols[v.name]: sympy.Symbol(v.latex) for v in variables}
    tree = parse_expr(expr, local_dict={**_FUNCTIONS, **symbols}, global_dict=_GLOBALS, transformations=_TRANSFORMS,
                      evaluate=False)
    return sympy.latex(tree.xreplace(names), order="none")
