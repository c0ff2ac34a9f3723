"""merge_options: the one check behind every model's sampling options."""

import pytest

from lmdkit.utils.options import merge_options


def test_overrides_replace_defaults_and_leave_them_untouched():
    defaults = dict(steps=10, eta=0.0)
    merged = merge_options(defaults, dict(eta=1.0), 'sampling options')
    assert merged == dict(steps=10, eta=1.0) and defaults == dict(steps=10, eta=0.0)
    assert merge_options(defaults, None) == defaults and merge_options(defaults, None) is not defaults


def test_unknown_keys_are_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown sampling options \['cfg', 'stps'\]; known: \['eta', 'steps'\]"):
        merge_options(dict(steps=10, eta=0.0), dict(stps=5, cfg=2.0), 'sampling options')
