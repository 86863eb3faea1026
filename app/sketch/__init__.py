"""The Sketch task in the editor: a drawing canvas over the Source pane (the mask painter
reused with ink and tones) and its side-panel tools."""
