"""`hello` in Python: a JSON greeting from the path parameter `name` and the
optional query parameter `greeting`, e.g. `GET /hello/ada?greeting=Hi` —
the same answers as the Rust example."""

import sluice


@sluice.action
def hello(req: sluice.Request) -> sluice.Response:
    name = req.param("name")
    if name is None:
        raise sluice.InvalidInput("the operation must have a :name path parameter")
    greeting = req.query("greeting") or "Hello"
    return sluice.Response.json({"message": f"{greeting}, {name}!", "name": name})
