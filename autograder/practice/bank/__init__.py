"""The question bank: one module per syllabus chapter (named after the chapter's id in `question.CHAPTERS`);
importing this package imports them all, which registers every generator."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
