"""{{name}}: a Sluice action in Python."""

import sluice


@sluice.action
def handle(req: sluice.Request) -> sluice.Response:
    who = req.param("who")
    if not who:
        raise sluice.InvalidInput("the operation must have a :who path parameter")
    sluice.log.info(f"greeting {who}")
    return sluice.Response.json({"message": f"Hello, {who}!"})
