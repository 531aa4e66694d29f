"""The resolved settings are typed attributes; the old by-name readers still work, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from octoci.config import resolve_config
from octoci.settings import SETTINGS, Settings


def test_settings_are_typed_attributes_with_absolute_paths(tmp_path: Path) -> None:
    config = resolve_config(
        flags={"deploy_to": ("Dev",), "out_folder": "dist"},
        env={"OCTOCI_TIMEOUT": "30", "OCTOCI_CONCURRENCY": "4"},
        cwd=tmp_path,
    )
    settings = config.settings
    assert isinstance(settings, Settings)
    assert settings.deploy_to == ("Dev",)
    assert settings.timeout == 30.0
    assert settings.concurrency == 4
    assert settings.out_folder == tmp_path / "dist"
    assert [s.name for s in SETTINGS] == list(Settings.__dataclass_fields__)


def test_the_old_readers_check_the_kind(tmp_path: Path) -> None:
    config = resolve_config(flags={}, env={}, cwd=tmp_path)
    assert config.text("overwrite_mode") == "FailIfExists"
    assert config.number("concurrency") == 3.0
    assert config.path("out_folder") == tmp_path / ".octoci" / "packages"
    with pytest.raises(TypeError, match="'wait' is a bool"):
        config.text("wait")
    with pytest.raises(TypeError, match="'delta' is a bool"):
        config.number("delta")
    with pytest.raises(KeyError, match="no setting 'wiat'"):
        config.flag("wiat")
