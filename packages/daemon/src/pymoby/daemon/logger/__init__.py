"""pymoby.daemon.logger: log drivers, the copier, and reading logs back (Docker's ``daemon/logger``).

For the containers engineer, the seams:

- create: ``merge_log_config(LogConfig(type, opts), daemon_default)`` checks
  ``--log-driver``/``--log-opt`` (``InvalidParameter`` in Docker's words).
- start: ``driver = new_logger(cfg.type, LogInfo(config=cfg.config, container_id=...,
  log_path=default_log_path(cfg.type, root, id), ...))``, then in the
  container's task group ``Copier({"stdout": fifos.stdout, "stderr": fifos.stderr},
  driver, tees=streams.tees(), mode=..., max_buffer_size=...)`` with
  ``mode, size = copier_mode(cfg.config)``; ``tg.start_soon(copier.run)``.
- exit: ``await copier.wait()`` (bounded, then ``copier.stop()``), then
  ``await driver.close()``: followers drain and end.
- logs: ``opts = LogsOptions.from_query(request.query)``;
  ``async with open_log_reader(driver).read_logs(opts.read_config(running=...)) as batches:``
  stream ``encode_logs(batches, opts, multiplexed=not tty)``.
"""

from ._copier import Copier
from ._driver import (
    BaseLogger,
    FileLogger,
    Logger,
    LogReader,
    NoneLogger,
    ReadLogsNotSupported,
    open_log_reader,
)
from ._info import LogInfo, default_log_path
from ._jsonescape import escape_json_string, escape_lines
from ._jsonfile import JsonFileCodec, JsonFileConfig, JsonFileLogger, validate_json_file_options
from ._local import LocalCodec, LocalConfig, LocalLogger, validate_local_options
from ._logfile import LogFile, LogFileClosed, LogWriteError
from ._logstream import LogsOptions, encode_logs, encode_message
from ._message import MAX_LINE, Entry, LineBlock, LogMode, Message, PartialMetadata, ReadConfig
from ._registry import (
    DEFAULT_MAX_BUFFER_SIZE,
    DriverRegistry,
    DriverSpec,
    LogConfig,
    copier_mode,
    drivers,
    merge_log_config,
    new_logger,
    validate_log_opts,
)
from ._sizes import SizeError, from_human_size, ram_in_bytes
from ._splitter import LineSplitter
from ._timefmt import format_fixed, format_rfc3339nano, parse_rfc3339nano, parse_unix_timestamp

__all__ = [
    "DEFAULT_MAX_BUFFER_SIZE",
    "MAX_LINE",
    "BaseLogger",
    "Copier",
    "DriverRegistry",
    "DriverSpec",
    "Entry",
    "FileLogger",
    "JsonFileCodec",
    "JsonFileConfig",
    "JsonFileLogger",
    "LineBlock",
    "LineSplitter",
    "LocalCodec",
    "LocalConfig",
    "LocalLogger",
    "LogConfig",
    "LogFile",
    "LogFileClosed",
    "LogInfo",
    "LogMode",
    "LogReader",
    "LogWriteError",
    "Logger",
    "LogsOptions",
    "Message",
    "NoneLogger",
    "PartialMetadata",
    "ReadConfig",
    "ReadLogsNotSupported",
    "SizeError",
    "copier_mode",
    "default_log_path",
    "drivers",
    "encode_logs",
    "encode_message",
    "escape_json_string",
    "escape_lines",
    "format_fixed",
    "format_rfc3339nano",
    "from_human_size",
    "merge_log_config",
    "new_logger",
    "open_log_reader",
    "parse_rfc3339nano",
    "parse_unix_timestamp",
    "ram_in_bytes",
    "validate_json_file_options",
    "validate_local_options",
    "validate_log_opts",
]
