"""Entry point: `python main.py [VIDEO]` opens the editor; subcommands run headless."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from engine.cli import SUBCOMMANDS

    if argv and (argv[0] in SUBCOMMANDS or argv[0].startswith("-")):
        from engine.cli import main as cli_main

        return cli_main(argv)
    if len(argv) > 1:
        print("usage: python main.py [VIDEO]  |  python main.py {generate,retarget,inpaint,bench} ...",
              file=sys.stderr)
        return 2
    from app.main_window import launch

    return launch(argv[0] if argv else None)


if __name__ == "__main__":
    sys.exit(main())
