"""Run ``python -m pytest`` here: pytest.ini watches widgets.Widget."""

from widgets import Dialog, Widget, style_for


def test_dialog_closes_cleanly():
    dialog = Dialog()
    dialog.close()


def test_dialog_forgets_to_unsubscribe():
    dialog = Dialog()
    dialog.close(unsubscribe=False)  # the bus still holds ok.on_click


def test_style_is_cached_per_widget():
    label = Widget("ok-label")
    assert style_for(label) == "bold"  # the lru_cache now holds label


def test_plain_widget():
    assert Widget("cancel").clicks == 0
