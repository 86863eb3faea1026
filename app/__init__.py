"""The desktop editor (PySide6 + pyqtgraph). The engine does the numerics; this package
builds requests, runs them on worker threads and draws what comes back.

    state/    plain-Python models, no Qt: the session, projects, recovery files, the clip
    workers/  background jobs: generation, the seed browser's queue, export
    widgets/  Qt widgets: viewer, timeline, transport, side panel, seed browser, dialogs
    inpaint/  the mask layer (a Qt-free model) and its painter, panel and controller
    window/   the main window, its menus and the controllers that carry out its commands

Importing `app` or `app.state` does not import Qt; the Qt packages apply app.qt_fixes
first.
"""
