"""Test-wide settings: draw headless, and close every figure a test opens."""

import matplotlib
import pytest

matplotlib.use("Agg", force=True)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def headless_chromium():
    """A maker of headless Chromium sessions (selenium): ``headless_chromium(profile,
    (width, height), network_log=False)``. Skips the test without Chromium, chromedriver or
    selenium, and fails it instead where DESCEND_REQUIRE_BROWSER is set (as in .ci/run)."""
    import os
    import shutil

    chromium = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if not (chromium and driver_path):
        why = "headless Chromium, chromedriver and selenium are needed for the browser tests"
        if os.environ.get("DESCEND_REQUIRE_BROWSER"):
            pytest.fail(why + " (DESCEND_REQUIRE_BROWSER is set)")
        pytest.skip(why)

    def start(profile, window=(1280, 900), network_log=False):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        # no background traffic of Chromium's own: this machine's network is closed, and a
        # page's own requests are what the tests watch
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
        ):  # fmt: skip
            options.add_argument(flag)
        if network_log:
            options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        return webdriver.Chrome(service=Service(driver_path), options=options)

    return start
