"""`tools` in Python: the tutorial's offline tools through `sluice.files` and
`sluice.command`. `GET /py/reports/:file` answers a CSV file's rows as JSON
objects (like the Rust `csv-report`); `GET /py/cli-data?city=Berlin`
answers the report tool's JSON (like the Rust `cli-data`). Config:
`{"files": "reports", "command": "report-cli"}` (those are the defaults)."""

import sluice


@sluice.action
def tools(req: sluice.Request) -> sluice.Response:
    config = req.context.config
    file = req.param("file")
    if file is not None:
        rows = sluice.files.read_csv(config.get("files", "reports"), file)
        return sluice.Response.json({"file": file, "count": len(rows), "rows": rows})
    city = req.query("city")
    if not city:
        raise sluice.InvalidInput("query parameter city is required, e.g. ?city=Berlin")
    out = sluice.command.run(config.get("command", "report-cli"), {"city": city})
    return sluice.Response.json(out.json())
