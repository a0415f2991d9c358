"""`python -m leadflow.local.moto_main`: moto's server as the local runtime runs it.

Everything done to moto is in `leadflow.local.moto_patches` (one `install()`): correctness fixes
always, speed patches only on the moto version they were tested against and not with
`LEADFLOW_STOCK_MOTO=1`. What was installed goes to the file named by `LEADFLOW_MOTO_REPORT` (the
local runtime reads it and logs the one line about skipped patches), or is logged here when run
by hand. A correctness fix that cannot be installed stops the server, saying which and why.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from moto import server

from leadflow.local import moto_patches


def main() -> None:
    report_to = os.environ.get(moto_patches.REPORT_ENV)
    try:
        report = moto_patches.install()
    except moto_patches.MotoPatchError as err:
        if report_to:
            Path(report_to).write_text(json.dumps({"error": str(err)}))
        sys.exit(f"local AWS: {err}")
    # (anything else installed into moto, such as AWS limits it enforces, goes here, after the patches)
    if report_to:
        Path(report_to).write_text(json.dumps(report.to_json()))
    elif report.line():
        logging.basicConfig(format="%(message)s")
        logging.getLogger(__name__).warning(report.line())
    # no line per request on a stderr nobody reads (the runtime discards it)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.main()


if __name__ == "__main__":
    main()
