"""What today's server says about itself, read from its modules' constants when they exist: the page size
and concurrency of an `all_pages` walk, and how many certificates an audit examines. These are being
changed while the benchmarks are; whatever is found (or not) is printed, and a measure that needs a
capability the code does not have yet says "n/a" rather than failing."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

_CLIENT_MODULE = "frontdoor_mcp.api.client"
_API_PACKAGE = "frontdoor_mcp.api"
_RULES_MODULE = "frontdoor_mcp.rules"
_TOOLS_PACKAGE = "frontdoor_mcp.tools"


@dataclass(frozen=True)
class Constant:
    """An int constant of a module, and where it came from (`module.NAME`)."""

    value: int
    source: str


@dataclass(frozen=True)
class WalkSettings:
    page_size: Constant | None
    concurrency: Constant | None

    def describe(self) -> str:
        def show(constant: Constant | None) -> str:
            return "not found" if constant is None else f"{constant.value:,} (`{constant.source}`)"

        return f"page size {show(self.page_size)}, pages in flight {show(self.concurrency)}"


def walk_settings() -> WalkSettings:
    """`ALL_PAGES_SIZE` and `ALL_PAGES_CONCURRENCY` of the API client, or constants named like them; looked
    for in `frontdoor_mcp.api.client` first, then in the other modules of `frontdoor_mcp.api`."""
    modules = _modules(_CLIENT_MODULE, _API_PACKAGE)
    return WalkSettings(
        _constant(modules, "ALL_PAGES_SIZE", ("ALL_PAGES", "SIZE")),
        _constant(modules, "ALL_PAGES_CONCURRENCY", ("ALL_PAGES", "CONCURRENCY")),
    )


def audit_cap() -> Constant | None:
    """How many certificates `find_expiring_client_certificates` examines at most: the most one walk reads
    (`rules.WALK_MAX_ITEMS`), if said."""
    return _constant(_modules(_RULES_MODULE, _TOOLS_PACKAGE), "WALK_MAX_ITEMS", ("MAX", "ITEMS"))


def _modules(preferred: str, package: str) -> list[ModuleType]:
    """The preferred module, then the package's other modules (those that import without error)."""
    found: list[ModuleType] = []
    names = [preferred]
    parent = _import(package)
    if parent is not None and hasattr(parent, "__path__"):
        names += sorted(f"{package}.{info.name}" for info in pkgutil.iter_modules(parent.__path__))
    for name in dict.fromkeys(names):
        module = _import(name)
        if module is not None:
            found.append(module)
    return found


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # a module being rewritten may fail in any way; it then says nothing
        return None


def _constant(modules: list[ModuleType], exact: str, words: tuple[str, ...]) -> Constant | None:
    """`exact` in the first module that has it as a positive int; else a constant whose name holds every
    one of `words`, in the same order of modules."""
    for pick_exact in (True, False):
        for module in modules:
            names = (
                [exact] if pick_exact else sorted(n for n in vars(module) if n.isupper() and all(w in n for w in words))
            )
            for name in names:
                value: object = vars(module).get(name)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return Constant(value, f"{module.__name__}.{name}")
    return None
