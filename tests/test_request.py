"""engine.request: what the engine says to a user about a run."""


def test_repeated_notes_read_as_one_line_with_a_count():
    from engine.request import summarise_notes

    cut = "the noise cut a band of the scene, sky into the ground; drawn again"
    copy = "the noise reproduced the input; drawn again"
    assert summarise_notes([cut, copy, cut, cut]) == [f"{cut}, 3 times", copy]
    assert summarise_notes([]) == []
    assert summarise_notes([copy]) == [copy]
