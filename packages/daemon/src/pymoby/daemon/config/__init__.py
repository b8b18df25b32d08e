"""pymoby.daemon.config: the configuration model, file loading, validation and reload."""

from ._config import (
    DEFAULT_CONFIG_FILE,
    KEYS,
    AddressPool,
    DaemonConfig,
    InvalidConfig,
    load_config_file,
    merge_config,
    validate_config,
)
from ._reload import RELOADABLE, reload_attributes, reloaded

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "KEYS",
    "RELOADABLE",
    "AddressPool",
    "DaemonConfig",
    "InvalidConfig",
    "load_config_file",
    "merge_config",
    "reload_attributes",
    "reloaded",
    "validate_config",
]
