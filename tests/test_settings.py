"""Settings fail closed: every variable is read strictly after trimming; a value that is not understood stops
the start (exit 2) with a message naming the variable and what it accepts, and is never read as "off"."""

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
    ],
)
def test_the_server_refuses_to_start_naming_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert variable in err and err.count("\n") == 1


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
