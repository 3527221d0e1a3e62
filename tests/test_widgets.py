"""An explorer that re-renders from the axes it kept shows what a render from scratch shows."""

from __future__ import annotations

import ipywidgets as w
import pytest

from course import widgets


def _values(control: w.Widget) -> list:
    """Two other values for a control, then its first value again."""
    if isinstance(control, w.SelectMultiple):
        others = [control.options[:1], control.options[-2:]]
    elif isinstance(control, w.ToggleButton | w.Checkbox):
        others = [not control.value, control.value]
    elif isinstance(control, w.IntRangeSlider):
        others = [(control.min + 2, control.value[1]), (control.value[0], control.max - 3)]
    elif isinstance(control, w.IntSlider | w.FloatSlider):
        others = [control.min + 2, control.max - 3]
    else:  # Dropdown, ToggleButtons
        others = [option for option in control.options if option != control.value][:2]
    return [*others, control.value]


@pytest.mark.parametrize("name", widgets.__all__)
def test_a_view_seen_before_renders_as_from_scratch(name):
    explorer = getattr(widgets, name)()
    for control in explorer.controls:
        for value in _values(control):
            control.value = value
            kept = explorer.image.value
            explorer._backgrounds.clear()
            explorer.render()
            assert explorer.image.value == kept, f"{name}: {control.description} = {value!r}"
