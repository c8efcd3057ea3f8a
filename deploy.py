#!/usr/bin/env python3
"""supalert's command line: `python deploy.py --help`. Thin on purpose: everything lives in the supalert package."""

import os
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
venv_python = here / ".venv" / "bin" / "python"
try:
    from supalert.cli import main
except ImportError:
    # Run with a Python that lacks the dependencies: use the project's venv when set-up made one.
    if venv_python.exists() and Path(sys.prefix).resolve() != venv_python.parent.parent.resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])  # noqa: S606 - same script
    sys.exit("error: supalert's dependencies are not installed (fix: run `make setup`, then `python deploy.py`)")

if __name__ == "__main__":
    main()
