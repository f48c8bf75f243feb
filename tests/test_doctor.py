"""`frontdoor-mcp doctor` against the sandbox: healthy, wrong token, wrong frontdoor, skewed clock, and more;
in-process through `run_doctor`/`diagnose`, and once as a real subprocess."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx2
import pytest

from frontdoor_mcp import config
from frontdoor_mcp.config import load_settings
from frontdoor_mcp.doctor import api_checks, diagnose, run_doctor
from frontdoor_mcp.sandbox.faults.controller import Fault
from frontdoor_mcp.sandbox.runner import RunningSandbox, start_sandbox
from tests.support import CANARY_TOKEN, certificate_item, certificate_page, json_response, mock_client, mock_settings


@pytest.fixture(autouse=True)
def no_ambient_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials.json from the machine running the tests: an empty working directory and home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    monkeypatch.setattr(config, "SYSTEM_CREDENTIALS_FILE", tmp_path / "no-system" / "credentials.json")


def env_for(sandbox: RunningSandbox, **extra: str) -> dict[str, str]:
    env = {
        "FRONTDOOR_API_URL": sandbox.base_url,
        "FRONTDOOR_ID": sandbox.frontdoor_id,
        "NETFOUNDRY_API_TOKEN": sandbox.token,
    }
    env.update(extra)
    return {key: value for key, value in env.items() if value}


def doctor(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = run_doctor(env=env)
    out = capsys.readouterr().out
    assert CANARY_TOKEN not in out
    return code, out.splitlines()


def line(lines: list[str], name: str) -> str:
    found = [text for text in lines if text[5:].startswith(f"{name}:")]
    assert len(found) == 1, lines
    return found[0]


def test_healthy_sandbox_with_a_token(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(env_for(sandbox), capsys)
    assert code == 0, lines
    assert line(lines, "credentials") == "ok   credentials: from NETFOUNDRY_API_TOKEN"
    assert line(lines, "api") == f"ok   api: {sandbox.base_url} answers and accepts the credentials"
    assert line(lines, "frontdoor") == f"ok   frontdoor: {sandbox.frontdoor_id} is visible, with 0 certificates"
    assert line(lines, "paging") == (
        "ok   paging: lists come in the guide's shape (content, pageable, totalElements, totalPages); "
        "pages of 2,000, the size walks ask for"
    )
    assert line(lines, "clock").startswith("ok   clock: ")
    assert lines[-1] == "All checks passed."


def test_healthy_sandbox_with_an_api_account(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    account = tmp_path / "account.json"
    account.write_text(
        json.dumps(
            {"clientId": sandbox.client_id, "password": sandbox.client_secret, "authenticationUrl": sandbox.token_url}
        )
    )
    code, lines = doctor(env_for(sandbox, NETFOUNDRY_API_TOKEN="", NETFOUNDRY_API_ACCOUNT=str(account)), capsys)
    assert code == 0, lines
    assert line(lines, "credentials") == "ok   credentials: from NETFOUNDRY_API_ACCOUNT"
    token = line(lines, "token")
    assert re.fullmatch(r"ok   token: obtained, valid until [0-9-]{10} [0-9:]{8} UTC \((59|60) minutes left\)", token)
    assert sandbox.client_secret not in "\n".join(lines)
    assert sandbox.faults.count(path_contains="/oauth/token") == 1, "the API check reuses the token"


def test_wrong_token(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(env_for(sandbox, NETFOUNDRY_API_TOKEN="not-the-right-token-42"), capsys)
    assert code == 1
    assert line(lines, "api") == f"FAIL api: {sandbox.base_url} answered 401: the credentials were refused"
    assert lines[-1] == "1 check(s) failed."


def test_wrong_frontdoor(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    other = sandbox.add_frontdoor()
    code, lines = doctor(env_for(sandbox, FRONTDOOR_ID=other), capsys)
    assert code == 1
    assert line(lines, "api").startswith("ok   api:")
    assert line(lines, "frontdoor") == f"FAIL frontdoor: {other} is not visible to these credentials (403)"


def test_skewed_clock(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    sandbox.faults.add(Fault(kind="clock_offset", clock_offset_s=-600, times=None))
    code, lines = doctor(env_for(sandbox), capsys)
    assert code == 1
    clock = line(lines, "clock")
    assert clock.startswith("FAIL clock: this machine is ") and " ahead of the API's Date header" in clock
    seconds = int(clock.split("this machine is ")[1].split(" s ")[0])
    assert 599 <= seconds <= 601 and "fix the time synchronisation" in clock


@pytest.mark.parametrize(
    ("shape", "frontdoor", "paging"),
    [
        (
            "spring-dto",
            "with 150 certificates",
            "note paging: lists come in Spring Data's page DTO (content, page{size, number, totalElements, "
            "totalPages}), not the guide's; pages of at most 100",
        ),
        (
            "hal",
            "with 150 certificates",
            "note paging: lists come in HAL (_embedded, page{size, number, totalElements, totalPages}), not the "
            "guide's; pages of at most 100",
        ),
        (
            "content-only",
            "its list has no total",
            "note paging: lists come in content alone, without totals: walks end at a short page and check "
            "themselves by reading twice; the page-size cap not shown (a page of 100 for 2,000 asked)",
        ),
        (
            "array",
            "its list has no total",
            "note paging: lists come in a bare JSON array, without totals: walks end at a short page and check "
            "themselves by reading twice; the page-size cap not shown (a page of 100 for 2,000 asked)",
        ),
        (
            "unpaged",
            "its list has no total",
            "note paging: lists come in a bare JSON array, without totals: walks end at a short page and check "
            "themselves by reading twice; the page-size cap not shown (a page of 150 for 2,000 asked); it answered "
            "150 certificates for a size of 1: it ignores `size`; it answers every page with the same certificates: "
            "it ignores `page`, so walks read its one answer as the list and say they cannot show it complete",
        ),
    ],
)
def test_the_paging_the_api_answers_with_is_reported(
    sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], shape: str, frontdoor: str, paging: str
) -> None:
    sandbox.seed_certificates(150)
    sandbox.paging.set(shape=shape, max_page_size=100)
    code, lines = doctor(env_for(sandbox), capsys)
    assert code == 0, lines
    assert line(lines, "frontdoor") == f"ok   frontdoor: {sandbox.frontdoor_id} is visible, {frontdoor}"
    assert line(lines, "paging") == paging


def test_the_reachability_check_asks_for_one_certificate_and_a_refused_page_size_is_a_note(tmp_path: Path) -> None:
    """An API that answers 400 to a size above its largest: the API check passes (it asked for one), and the
    paging check says what walks will meet."""
    asked: list[tuple[str | None, str | None]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        page, size = request.url.params.get("page"), request.url.params.get("size")
        asked.append((page, size))
        if size is not None and int(size) > 500:
            return json_response(400, {"message": "size too large"})
        return json_response(200, certificate_page([certificate_item()]))

    checks = anyio.run(api_checks, mock_client(handler), mock_settings(tmp_path))
    assert [(check.name, check.passed, check.note) for check in checks] == [
        ("api", True, False),
        ("frontdoor", True, False),
        ("paging", True, True),
    ]
    assert checks[-1].detail == (
        "the API refuses pages of 2,000 (HTTP 400): walks, which ask for that size (all_pages, the expiry audit, the "
        "shares read before a change of trust), will fail with that error"
    )
    assert asked[0] == ("0", "1") and asked[1] == ("0", "2000")


def test_an_api_that_numbers_its_pages_from_1_is_reported(tmp_path: Path) -> None:
    items = [certificate_item(f"cert-00000000-0000-4000-8000-{n:012d}", f"c{n}") for n in range(3)]

    def one_indexed(request: httpx2.Request) -> httpx2.Response:
        size = min(int(request.url.params.get("size", "20")), 2000)
        index = max(int(request.url.params.get("page", "0")) - 1, 0)  # page 0 and page 1 are both the first
        body = certificate_page(items[index * size : (index + 1) * size], number=index + 1)
        return json_response(200, body | {"totalElements": 3, "totalPages": -(-3 // size)})

    paging = anyio.run(api_checks, mock_client(one_indexed), mock_settings(tmp_path))[-1]
    assert paging.note and paging.passed
    assert paging.detail.endswith(
        "; it answered page 1 when asked for page 0; its page 1 repeats page 0 (it may number its pages from 1): "
        "walks stop there and say they are incomplete"
    )


def test_diagnose_in_process_says_which_check_failed(sandbox: RunningSandbox) -> None:
    sandbox.faults.add(Fault(kind="clock_offset", clock_offset_s=+300, times=None))
    checks = anyio.run(diagnose, load_settings(env_for(sandbox)))
    assert [(check.name, check.passed) for check in checks] == [
        ("credentials", True),
        ("api", True),
        ("frontdoor", True),
        ("paging", True),
        ("clock", False),
    ]
    assert "behind the API's Date header" in checks[-1].detail


def test_no_credentials(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(env_for(sandbox, NETFOUNDRY_API_TOKEN=""), capsys)
    assert code == 1
    found = line(lines, "credentials")
    assert found.startswith("FAIL credentials: none found. Looked in, in this order: NETFOUNDRY_API_TOKEN")
    for place in ("NETFOUNDRY_API_ACCOUNT", "NETFOUNDRY_OAUTH_URL", "credentials.json", ".netfoundry"):
        assert place in found, "every place a credential is looked for is named"


def test_configuration_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor({"NETFOUNDRY_CLIENT_ID": "c", "NETFOUNDRY_PASSWORD": "p"}, capsys)
    assert code == 2
    assert lines == [
        "FAIL configuration: NETFOUNDRY_CLIENT_ID, NETFOUNDRY_PASSWORD set but NETFOUNDRY_OAUTH_URL missing: client "
        "credentials need all three of NETFOUNDRY_CLIENT_ID, NETFOUNDRY_PASSWORD and NETFOUNDRY_OAUTH_URL.",
        "1 setting(s) cannot be understood: the stdio server would act on nothing.",
    ]


@pytest.mark.parametrize("frontdoor", [True, False])
def test_an_api_url_without_its_base_path_is_named_with_the_status_it_got(
    sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str], frontdoor: bool
) -> None:
    """The sandbox's root, not its /frontdoor base: every path 404s. Not "accepts the credentials", not a 403."""
    env = env_for(sandbox, FRONTDOOR_API_URL=sandbox.root_url, FRONTDOOR_ID=sandbox.frontdoor_id if frontdoor else "")
    code, lines = doctor(env, capsys)
    assert code == 1
    shown = sandbox.frontdoor_id if frontdoor else "{frontdoorId}"
    assert line(lines, "api") == (
        f"FAIL api: GET {sandbox.root_url}/{shown}/client-certificates answered 404 (no such path): every frontdoor "
        f"has this path under the API's base URL, so the configured FRONTDOOR_API_URL {sandbox.root_url} is wrong (it "
        "lacks the /frontdoor path). Nothing was changed. Set FRONTDOOR_API_URL to the API's base URL (NetFoundry's "
        "is https://gateway.production.netfoundry.io/frontdoor) and restart the server."
    )
    status_403 = re.compile(r"(?<![\w-])403(?![\w-])")  # a status, not three digits of a random frontdoor id
    assert not [text for text in lines if "accepts" in text or status_403.search(text) or "frontdoor:" in text[5:16]]
    assert "00000000-0000-0000-0000-000000000000" not in "\n".join(lines), "the probe's id is never shown"


def test_refused_client_credentials(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    env = env_for(
        sandbox,
        NETFOUNDRY_API_TOKEN="",
        NETFOUNDRY_CLIENT_ID=sandbox.client_id,
        NETFOUNDRY_PASSWORD="wrong-secret-77",
        NETFOUNDRY_OAUTH_URL=sandbox.token_url,
    )
    code, lines = doctor(env, capsys)
    assert code == 1
    assert line(lines, "token") == (
        f"FAIL token: could not be obtained from {sandbox.token_url}: the token endpoint answered HTTP 401 "
        "(invalid_client)"
    )
    assert "wrong-secret-77" not in "\n".join(lines)
    assert sandbox.faults.count(path_contains="/client-certificates") == 0


def test_expired_jwt_is_reported_locally(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(time.time()) - 3 * 3600}).encode()).rstrip(b"=")
    expired = f"eyJhbGciOiJIUzI1NiJ9.{claims.decode()}.c2lnbmF0dXJl"
    code, lines = doctor(env_for(sandbox, NETFOUNDRY_API_TOKEN=expired), capsys)
    assert code == 1
    token = line(lines, "token")
    assert token.startswith("FAIL token: expired at ") and "(180 minutes ago)" in token
    assert line(lines, "api").startswith("FAIL api:")
    assert expired not in "\n".join(lines)


def test_malformed_token_shape(sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = doctor(env_for(sandbox, NETFOUNDRY_API_TOKEN=f"Bearer {sandbox.token}"), capsys)
    assert code == 1
    assert "already starts with 'Bearer '" in line(lines, "credentials")


def test_no_frontdoor_configured_still_checks_the_api(
    sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor(env_for(sandbox, FRONTDOOR_ID=""), capsys)
    assert code == 0, lines
    assert line(lines, "api").startswith("ok   api:")
    assert line(lines, "frontdoor") == "note frontdoor: FRONTDOOR_ID is not set: every tool call must pass frontdoor_id"


def test_unreachable_api(capsys: pytest.CaptureFixture[str]) -> None:
    dead = start_sandbox()
    dead.stop()
    code, lines = doctor(env_for(dead), capsys)
    assert code == 1
    assert line(lines, "api").startswith(f"FAIL api: {dead.base_url}: ")
    assert "refused or the host is unreachable" in line(lines, "api")


@pytest.mark.slow
def test_doctor_as_a_subprocess(sandbox: RunningSandbox, tmp_path: Path) -> None:
    env = env_for(sandbox)
    env.update({"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    completed = subprocess.run(
        [sys.executable, "-m", "frontdoor_mcp", "doctor"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"ok   frontdoor: {sandbox.frontdoor_id} is visible" in completed.stdout
    assert "All checks passed." in completed.stdout
    assert CANARY_TOKEN not in completed.stdout + completed.stderr
