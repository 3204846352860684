"""`statuses`: raises what the query parameter `raise` names, to show (and
test) how Python errors become problems — `GET /statuses?raise=not-found`.

- `invalid-input`, `forbidden`, `not-found`, `conflict`, `unavailable`,
  `internal`: the SDK error of that name, status 400 … 500;
- `crash`: an uncaught `ValueError` raised in a helper (a 500 whose detail is
  its message; the traceback goes to the host log only);
- `host`: opens a connection the action is not granted (a `HostError`);
- anything else: 200 with the names it knows.
"""

import sluice

ERRORS = {
    "invalid-input": sluice.InvalidInput,
    "forbidden": sluice.Forbidden,
    "not-found": sluice.NotFound,
    "conflict": sluice.Conflict,
    "unavailable": sluice.Unavailable,
    "internal": sluice.Internal,
}


def compute(depth: str) -> int:
    raise ValueError(f"cannot compute {depth!r}: the answer is 42")


@sluice.action
def statuses(req: sluice.Request) -> sluice.Response:
    what = req.query("raise") or ""
    if what in ERRORS:
        raise ERRORS[what](f"raised {what} on purpose")
    if what == "crash":
        compute("deep")
    if what == "host":
        sluice.sql.open("not-granted").query("SELECT 1")
    return sluice.Response.json({"raise": sorted([*ERRORS, "crash", "host"])})
