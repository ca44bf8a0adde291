"""The raters' page in a real headless browser (Debian's chromium and chromedriver through
Selenium), opened from file:// with no network: answer by keyboard, undo, reload halfway,
finish, export, and `gantool rate report` counts exactly those answers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from gantool.plugins import registry
from gantool.rate.make import make_study
from gantool.rate.study import StudySettings
from tests.conftest import gantool
from tests.rate.conftest import tiny_generator

CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail("the browser test needs Debian's chromium and chromedriver: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1100,900", "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def shoot(driver, name: str) -> None:
    """Screenshots for a person to look at, when GANTOOL_RATE_SCREENSHOTS names a folder."""
    folder = os.environ.get("GANTOOL_RATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def press(driver, keys: str) -> None:
    from selenium.webdriver.common.by import By

    body = driver.find_element(By.TAG_NAME, "body")
    for key in keys:
        body.send_keys(key)


def test_a_rater_answers_by_keyboard_reloads_halfway_and_the_report_counts_exactly_those(tmp_path, browser, mnist_mirror):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    study = tmp_path / "study"
    make_study(registry(), [tiny_generator(tmp_path / "g.onnx")], "mnist", StudySettings(n=18, attention=2), study)
    page = (study / "index.html").read_text()
    key = json.loads((study / "key.json").read_text())["items"]
    assert "truth" not in page and "tiny" not in page and "http" not in page  # no key, no model names, no network

    browser.get((study / "index.html").as_uri())
    shoot(browser, "1-intro")
    browser.find_element(By.ID, "rater").send_keys("alice", Keys.ENTER)
    typed = "".join(np.random.default_rng(5).choice(["f", "j"], size=20))
    wrong = "j" if typed[9] == "f" else "f"
    press(browser, typed[:9] + wrong + "u" + typed[9])  # an undo: the wrong 10th answer is replaced
    press(browser, "jj" + Keys.BACKSPACE + Keys.BACKSPACE)  # and Backspace undoes too
    shoot(browser, "2-rating")
    browser.refresh()  # halfway: the answers survive in localStorage
    assert browser.find_element(By.ID, "progress").text == "10 / 20"
    press(browser, typed[10:])
    exported = browser.find_element(By.ID, "export").get_property("value")
    shoot(browser, "3-done")

    answers = json.loads(exported)
    assert answers["rater"] == "alice" and answers["complete"] and answers["client"] == "browser"
    given = {f"q{k + 1:03d}": "fake" if c == "f" else "real" for k, c in enumerate(typed)}
    assert {a["item"]: a["answer"] for a in answers["answers"]} == given
    (tmp_path / "alice.json").write_text(exported)

    reported = gantool("rate", "report", "study", "alice.json", cwd=tmp_path)
    assert reported.returncode == 0, reported.stderr
    (result_file,) = (study / "eval").glob("*-rate.json")
    result = json.loads(result_file.read_text())
    assert result["raters"][0]["answers"] == given
    tests = [i for i, t in key.items() if not t["attention"]]
    fake_err = np.mean([given[i] != "fake" for i in tests if key[i]["truth"] == "fake"])
    real_err = np.mean([given[i] != "real" for i in tests if key[i]["truth"] == "real"])
    assert result["values"]["hype"] == pytest.approx((fake_err + real_err) / 2, abs=1e-6)
    assert result["values"]["answers"] == 18
    checks = [i for i, t in key.items() if t["attention"]]
    assert result["raters"][0]["missed"] == [i for i in checks if given[i] != "fake"]
    assert f"{result['values']['hype']:.3f}" in reported.stdout


def test_the_exposure_time_hides_the_image_but_still_takes_the_answer(tmp_path, browser, mnist_mirror):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    study = tmp_path / "timed"
    make_study(registry(), [tiny_generator(tmp_path / "g.onnx")], "mnist", StudySettings(n=4, exposure_ms=1500), study)
    browser.get((study / "index.html").as_uri())
    assert "1.5 s" in browser.find_element(By.ID, "intro").text
    browser.find_element(By.ID, "start").click()
    stage = browser.find_element(By.ID, "stage")
    assert "hidden-image" not in stage.get_attribute("class")
    WebDriverWait(browser, 10, poll_frequency=0.1).until(lambda d: "hidden-image" in stage.get_attribute("class"))
    shoot(browser, "4-exposure-over")
    browser.find_element(By.ID, "choice-1").click()  # the buttons answer too
    assert browser.find_element(By.ID, "progress").text == "1 / 5"
    assert "hidden-image" not in browser.find_element(By.ID, "stage").get_attribute("class")  # the next image shows
