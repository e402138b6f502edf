# BENCHMARK PEER, not part of dice-mcp: the seed's FastMCP "Dice Roller" with its bearer-token
# verification (JWTVerifier against the same public key and audience), served stateless so
# that every request stands alone, as dice-mcp's do.
#   python server.py PORT  (JWT_PUBLIC_KEY holds the PEM public key)
import os
import random
import sys

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier

# SKIP_AUTH=1 only so the bench can measure what verification costs, by its absence.
auth = None
if os.environ.get("SKIP_AUTH") != "1":
    auth = JWTVerifier(public_key=os.environ["JWT_PUBLIC_KEY"], audience="dice-server")
mcp = FastMCP(name="Dice Roller", auth=auth)


@mcp.tool
def roll_dice(n_dice: int) -> list[int]:
    """Roll `n_dice` 6-sided dice and return the results."""
    return [random.randint(1, 6) for _ in range(n_dice)]


if __name__ == "__main__":
    mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[1]), stateless_http=True, log_level="warning")
