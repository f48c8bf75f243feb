"""The TypeScript SDK's `StreamableHTTPClientTransport` against `frontdoor-mcp http`: refused without a token,
a reader sees no write tool and is refused one, a writer uploads and deletes after being asked. The SDK is
installed from npm into a temporary folder (skipped with the reason when npm is missing or cannot install)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from frontdoor_mcp.sandbox.runner import RunningSandbox
from tests.hosting_support import http_process, make_tokens, sandbox_environment
from tests.support import make_certificate

pytestmark = pytest.mark.slow

SDK: Final = "@modelcontextprotocol/sdk@1"
SCRIPT: Final = """
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const [url, writer, reader, pem] = process.argv.slice(2);
const out = { asked: [] };

async function connect(token, ask) {
  const client = new Client({ name: "ts-test", version: "1.0.0" }, { capabilities: ask ? { elicitation: {} } : {} });
  if (ask) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      out.asked.push(request.params.message);
      return { action: "accept", content: { confirm: true } };
    });
  }
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

try {
  await connect(null, false);
  out.anonymous = "connected";
} catch (error) {
  out.anonymous = { code: error.code, message: String(error) };
}
const asReader = await connect(reader, false);
out.readerTools = (await asReader.listTools()).tools.map((tool) => tool.name);
out.readerDelete = await asReader.callTool({
  name: "delete_client_certificate",
  arguments: { certificate_id: "cert-1", confirm: true },
});
await asReader.close();
const asWriter = await connect(writer, true);
out.protocolVersion = asWriter.transport.protocolVersion;
const created = await asWriter.callTool({
  name: "upload_client_certificate",
  arguments: { name: "ts", certificate_pem: pem },
});
out.created = created.structuredContent;
const deleted = await asWriter.callTool({
  name: "delete_client_certificate",
  arguments: { certificate_id: created.structuredContent.id },
});
out.deleted = deleted.structuredContent;
await asWriter.close();
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def typescript_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node and npm are needed for the TypeScript SDK test")
    folder = tmp_path_factory.mktemp("ts-client")
    (folder / "package.json").write_text('{"type": "module", "private": true}')
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", SDK],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {SDK}: {installed.stderr.strip()[-300:]}")
    (folder / "client.mjs").write_text(SCRIPT)
    return folder


def test_the_typescript_sdk_over_streamable_http(typescript_sdk: Path, sandbox: RunningSandbox, tmp_path: Path) -> None:
    tokens = make_tokens(tmp_path)
    args = ["--allow-writes", "--tokens-file", str(tokens.path)]
    with http_process(args, sandbox_environment(sandbox)) as server:
        done = subprocess.run(
            ["node", "client.mjs", server.url, tokens.writer, tokens.reader, make_certificate("ts-client")],
            cwd=typescript_sdk,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["anonymous"]["code"] == 401, out["anonymous"]
    assert "list_client_certificates" in out["readerTools"] and "delete_client_certificate" not in out["readerTools"]
    assert out["readerDelete"]["isError"] is True
    assert "needs the scope frontdoor:write" in out["readerDelete"]["content"][0]["text"]
    assert out["deleted"]["deleted"] is True and out["deleted"]["confirmation"] == "elicitation"
    assert len(out["asked"]) == 1 and out["created"]["id"] in out["asked"][0]
