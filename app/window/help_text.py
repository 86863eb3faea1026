"""Texts of the Help menu."""

SHORTCUT_HELP = """\
<table cellspacing=4>
<tr><td><b>Space</b></td><td>play / pause</td></tr>
<tr><td><b>J / K / L</b></td><td>play backward / stop / forward (press J or L again: 2×, 4×, 8×)</td></tr>
<tr><td><b>← / →</b></td><td>one frame back / forward (a slider, number box or list box with the focus takes ← / → and Home / End itself; a list box takes letters too, picking an entry; a number box leaves the letters, Space, [ ] and \\ to the window)</td></tr>
<tr><td><b>Shift+← / Shift+→</b></td><td>one second back / forward (a slider with the focus: its bigger step)</td></tr>
<tr><td><b>Home / End</b></td><td>first / last frame</td></tr>
<tr><td><b>I / O</b></td><td>set the in / out point (only that range is used)</td></tr>
<tr><td><b>Alt+X</b></td><td>clear the in / out points (the whole clip)</td></tr>
<tr><td><b>Tab</b></td><td>source / result (when the viewer has the focus)</td></tr>
<tr><td><b>Space / Enter</b></td><td>press the button that has the focus (Space plays everywhere else)</td></tr>
<tr><td><b>F6</b></td><td>the keyboard focus to the next pane: viewer, timeline, side panel</td></tr>
<tr><td><b>\\</b></td><td>side by side</td></tr>
<tr><td><b>F</b></td><td>fit the picture; the wheel zooms, dragging pans</td></tr>
<tr><td><b>G</b> or <b>Ctrl+Enter</b></td><td>generate</td></tr>
<tr><td><b>Esc</b></td><td>cancel the running generation</td></tr>
<tr><td><b>B</b></td><td>browse seeds</td></tr>
<tr><td><b>Ctrl+R</b></td><td>a new random seed</td></tr>
<tr><td colspan=2><br><b>Files and projects</b> (in the seed browser too, with G and F1)</td></tr>
<tr><td><b>Ctrl+O</b></td><td>open a clip (or a project)</td></tr>
<tr><td><b>Ctrl+E / Ctrl+Shift+E</b></td><td>export the result / export the favourites</td></tr>
<tr><td><b>Ctrl+N</b></td><td>a new project on the open clip</td></tr>
<tr><td><b>Ctrl+S / Ctrl+Shift+S</b></td><td>save the project / save it under a new name</td></tr>
<tr><td><b>Ctrl+Shift+O</b></td><td>open a project</td></tr>
<tr><td><b>Ctrl+Q</b></td><td>quit</td></tr>
<tr><td><b>F1</b></td><td>this list</td></tr>
<tr><td colspan=2><br><b>Inpaint and Sketch</b> (painting on the Source view)</td></tr>
<tr><td><b>Left-drag / right-drag</b></td><td>paint / erase the mask</td></tr>
<tr><td><b>[ / ]</b> or <b>Shift+drag</b></td><td>smaller / larger brush</td></tr>
<tr><td><b>E</b></td><td>brush / eraser</td></tr>
<tr><td><b>Ctrl+Z / Ctrl+Shift+Z</b> or <b>Ctrl+Y</b></td><td>undo / redo the last change to the mask or sketch (the Edit menu names it)</td></tr>
<tr><td><b>Wheel / middle-drag</b></td><td>zoom / pan while painting</td></tr>
<tr><td colspan=2>Painting needs the mouse or a pen; File ▸ Import Masks… / Import Sketch… bring them in from files.</td></tr>
</table>"""

def _version() -> str:
    """The installed package's version (setup.sh installs it), or where it runs unpacked."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vgpnn-editor")
    except PackageNotFoundError:
        return "(not installed)"


ABOUT = (f"<b>VGPNN Editor</b> {_version()}<br>New videos from a single video: every "
         "space-time patch of the result comes from the input (VGPNN, patch nearest "
         "neighbours in a coarse-to-fine pyramid).<br>The manual is README.md beside the "
         "program; F1 lists the keys.")
