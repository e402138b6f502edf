"""Drives the worker with the official Python SDK (mcp 2.x) and prints what it saw as JSON.

Usage: python_client.py URL MODE   (MODE is "auto" to discover and speak 2026-07-28, or "legacy"
for the initialize handshake). python-client.test.mjs asserts on the output.
"""

import asyncio
import json
import os
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main(url: str, mode: str) -> None:
    # The bearer token comes from the environment, as a deployment's secret would.
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {os.environ['DICE_MCP_TOKEN']}"}, timeout=30)
    async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        ok = await client.call_tool("roll_dice", {"n_dice": 5})
        bad = await client.call_tool("roll_dice", {"n_dice": 0})
        print(
            json.dumps(
                {
                    "protocol_version": client.protocol_version,
                    "server_name": client.server_info.name if client.server_info else None,
                    "tools": [t.name for t in tools.tools],
                    "rolled": ok.structured_content,
                    "ok_is_error": ok.is_error,
                    "bad_is_error": bad.is_error,
                    "bad_text": bad.content[0].text,
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
