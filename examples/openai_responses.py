"""Roll dice through OpenAI's Responses API with dice-mcp as a remote MCP tool.

    pip install openai
    export OPENAI_API_KEY=...                       # your OpenAI key
    export DICE_MCP_URL=https://dice-mcp.<you>.workers.dev/mcp/
    export DICE_MCP_TOKEN=$(npm run -s token)       # a token the deployed key verifies
    python examples/openai_responses.py

OpenAI's servers call the URL, so it must be public (a `wrangler deploy`ed worker), not
127.0.0.1. This file was not run where it was written (no route to OpenAI from there).
"""

import os

from openai import OpenAI

client = OpenAI()
response = client.responses.create(
    model="gpt-4.1",
    tools=[
        {
            "type": "mcp",
            "server_label": "dice_server",
            "server_url": os.environ["DICE_MCP_URL"],
            "require_approval": "never",
            "headers": {"Authorization": f"Bearer {os.environ['DICE_MCP_TOKEN']}"},
        }
    ],
    input="Roll a few dice!",
)
print(response.output_text)
