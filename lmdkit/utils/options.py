"""Option dicts with fixed keys (a model's sampling defaults): merging that names any key it does not know."""

from typing import Any, Mapping, Optional


def merge_options(defaults: Mapping[str, Any], overrides: Optional[Mapping[str, Any]], what: str = 'options') -> dict:
    """``defaults`` updated with ``overrides``; a key ``defaults`` lacks raises ``ValueError`` naming it and the
    known keys (so a typo in a config's ``sampling=dict(...)`` fails at build time, not silently)."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(f'unknown {what} {sorted(unknown)}; known: {sorted(defaults)}')
    return {**defaults, **overrides}
