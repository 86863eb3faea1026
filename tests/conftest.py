"""Shared test setup: Qt runs without a screen; the editor tests' clip and window."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As engine/__init__ does, before any test imports torch (see the comment there).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="session", autouse=True)
def _data_folder(tmp_path_factory):
    """Recovery files of every editor a test starts go to a temporary folder, never to the
    user's own data folder."""
    os.environ["VGPNN_DATA_DIR"] = str(tmp_path_factory.mktemp("vgpnn-data"))
    yield


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A tiny synthetic clip file for the editor tests (one per test module)."""
    from tests.test_app_support import write_tiny_clip

    return write_tiny_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture
def window(qtbot, tmp_path, clip):
    """The editor on `clip`; the test fails if it leaves a worker thread running."""
    from tests.test_app_support import close_and_check_threads, make_window

    win = make_window(qtbot, tmp_path, clip)
    yield win
    close_and_check_threads(qtbot, win)


@pytest.fixture
def draft_window(window):
    """The editor at Draft quality, running only when asked."""
    window.panel.set_quality("draft")
    window.panel.auto_update.setChecked(False)
    return window
