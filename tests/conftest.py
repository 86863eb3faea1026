"""Shared test setup: Qt runs without a screen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As engine/__init__ does, before any test imports torch (see the comment there).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
