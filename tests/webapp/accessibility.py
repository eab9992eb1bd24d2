"""axe-core (bundled by axe-playwright-python: nothing is fetched) on the patient app's
screens, at the phone and desktop sizes of issue 15, inside the browser journeys."""

from typing import Any

from axe_playwright_python.sync_playwright import Axe

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
BLOCKING = {"serious", "critical"}

_axe = Axe()


def assert_accessible(page: Any, screen: str) -> None:
    """No serious or critical axe-core violation on the screen as it is now, at both sizes
    (the page keeps the size it had)."""
    size = page.viewport_size
    found = []
    try:
        for other in (PHONE, DESKTOP):
            page.set_viewport_size(other)
            results = _axe.run(page, options={"resultTypes": ["violations"]})
            found += [
                f"{other['width']}px {violation['id']} ({violation['impact']}): "
                + ", ".join(target for node in violation["nodes"] for target in node["target"])
                for violation in results.response["violations"]
                if violation["impact"] in BLOCKING
            ]
    finally:
        page.set_viewport_size(size)
    assert found == [], f"{screen}: {found}"
