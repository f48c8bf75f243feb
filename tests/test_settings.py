"""Settings fail closed: every variable is read strictly after trimming; a value that is not understood is a
problem naming the variable and what it accepts (`check-config` exits 2; the stdio server acts on nothing, see
test_configuration.py), and is never read as "off"."""

from __future__ import annotations

import pytest

from frontdoor_mcp import cli
from frontdoor_mcp.config import FALSE_WORDS, TRUE_WORDS, ConfigError, load_settings

JUNK = [" y", "y", "2", "enable", "tru", "yes please", "0n", "-1", "TRUE!", "o n"]


@pytest.mark.parametrize("value", [*TRUE_WORDS, *(word.upper() for word in TRUE_WORDS), " on ", "\ttrue\n"])
def test_read_only_on(value: str) -> None:
    assert load_settings({"FRONTDOOR_MCP_READ_ONLY": value}).read_only is True


@pytest.mark.parametrize("value", [*FALSE_WORDS, "", "   "])
def test_read_only_off_or_unset(value: str) -> None:
    assert load_settings({"FRONTDOOR_MCP_READ_ONLY": value}).read_only is False


@pytest.mark.parametrize("value", JUNK)
def test_a_switch_that_is_not_understood_is_a_start_up_error(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"FRONTDOOR_MCP_READ_ONLY": value})
    message = str(caught.value)
    assert "FRONTDOOR_MCP_READ_ONLY" in message and "1, true, yes, on" in message and "0, false, no, off" in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FRONTDOOR_MCP_READ_ONLY", "maybe"),
        ("FRONTDOOR_MCP_LOG_LEVEL", "verbose"),
        ("FRONTDOOR_ID", "not-a-uuid"),
        ("FRONTDOOR_API_URL", "http://gateway.example.test/frontdoor"),
        ("FRONTDOOR_MCP_TOOLSETS", "certificates;tokens"),
    ],
)
def test_check_config_refuses_naming_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exited:
        cli.main(["check-config"])
    assert exited.value.code == 2
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL ")]
    assert len(failed) == 1 and variable in failed[0]


def test_values_are_trimmed_and_empty_is_unset() -> None:
    settings = load_settings(
        {
            "FRONTDOOR_ID": "  3D6D2B6E-6C7A-4A7F-8C3D-9A9D2E1F0B1C\n",
            "FRONTDOOR_API_URL": " https://gateway.example.test/frontdoor/ ",
            "FRONTDOOR_MCP_LOG_LEVEL": " debug ",
            "FRONTDOOR_MCP_KEY_DIR": "   ",
            "NETFOUNDRY_API_ACCOUNT": "",
        }
    )
    assert settings.frontdoor_id == "3d6d2b6e-6c7a-4a7f-8c3d-9a9d2e1f0b1c"
    assert settings.api_url == "https://gateway.example.test/frontdoor"
    assert settings.log_level == "DEBUG" and settings.key_dir is None


@pytest.mark.parametrize(
    ("value", "toolsets"),
    [
        ("certificates", ("certificates",)),
        (" Local , certificates ", ("certificates", "local")),
        ("all", ("certificates", "tokens", "shares", "local")),
        ("tokens,all", ("certificates", "tokens", "shares", "local")),
        ("", ("certificates", "tokens", "shares", "local")),
    ],
)
def test_toolsets_are_read_in_tools_list_order(value: str, toolsets: tuple[str, ...]) -> None:
    assert load_settings({"FRONTDOOR_MCP_TOOLSETS": value}).toolsets == toolsets
    assert load_settings({"FRONTDOOR_MCP_TOOLSETS": "shares"}, toolsets=value or None).toolsets == (
        toolsets if value else ("shares",)
    )
