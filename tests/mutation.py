"""Mutation tests of the tests: a test is only worth keeping if it fails when the code under test is wrong.

`catches(test, broken=...)` runs a test body with deliberately broken implementations patched in, and requires
it to fail with an assertion (or a `pytest.raises` that did not see its error; hypothesis may group several
failing examples; every one must be an assertion). A test that passed, or crashed with anything but an assertion,
has not caught the mutant.
"""

from __future__ import annotations

import contextlib

import pytest


def _only_assertions(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_only_assertions(e) for e in error.exceptions)
    # pytest.raises failing with "DID NOT RAISE" is the test's own assertion that an error is raised
    return isinstance(error, (AssertionError, pytest.fail.Exception))


@contextlib.contextmanager
def patched(replacements: list[tuple[object, str, object]]):
    """Set attribute `name` of each target to a broken value for the duration; always restored."""
    with pytest.MonkeyPatch.context() as mp:
        for target, name, value in replacements:
            mp.setattr(target, name, value)
        yield


def catches(test, *args, broken: list[tuple[object, str, object]], **kwargs) -> None:
    """Fail unless `test(*args, **kwargs)` fails with an assertion while `broken` is patched in."""
    with patched(broken):
        try:
            test(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - sorted out just below
            if not _only_assertions(error):
                raise AssertionError(f"{test.__name__} crashed on the mutant instead of failing an assertion: "
                                     f"{type(error).__name__}: {error}") from error
            return
    raise AssertionError(f"{test.__name__} passed with a broken implementation patched in: it cannot fail")


def mutant(module, *edits: tuple[str, str]):
    """A copy of `module` with its source edited (each `(old, new)` must occur exactly once): a broken version of
    the real code, loaded under another name so the real module is untouched."""
    import importlib.util
    import inspect
    import sys
    import types

    source = inspect.getsource(module)
    for old, new in edits:
        assert source.count(old) == 1, f"the mutation {old!r} no longer matches {module.__name__}: update it"
        source = source.replace(old, new)
    name = f"{module.__name__}__mutant"
    copy = types.ModuleType(name)
    copy.__file__ = module.__file__
    spec = importlib.util.spec_from_loader(name, loader=None)
    copy.__spec__ = spec
    copy.__package__ = module.__package__
    sys.modules[name] = copy  # dataclasses look their module up while the class is built
    try:
        exec(compile(source, f"<mutant of {module.__name__}>", "exec"), copy.__dict__)  # noqa: S102
    finally:
        del sys.modules[name]
    return copy


def edited(fn, old: str, new: str):
    """A broken copy of function `fn`: its source with `old` (found exactly once) replaced by `new`, defined in
    `fn`'s own module globals (the real function is untouched)."""
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(fn))
    if source.count(old) != 1:
        raise RuntimeError(f"mutation site {old!r} is not in {fn.__name__} exactly once: update the mutant")
    namespace: dict = {}
    exec(compile(source.replace(old, new), f"<mutant of {fn.__name__}>", "exec"), fn.__globals__, namespace)  # noqa: S102
    return namespace[fn.__name__]
