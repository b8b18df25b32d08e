"""``version`` and ``info``: what the client and the daemon are."""

from __future__ import annotations

import platform
from datetime import datetime
from typing import Any

import click

from pymoby import errdefs
from pymoby.client import API_VERSION

from ._clickext import command
from ._errors import CLIError
from ._formatter import as_template_data
from ._gotemplate import Template, TemplateError
from ._session import Session
from ._tabwriter import TabWriter
from ._tree import VERSION, root, system
from ._units import bytes_size

__all__: list[str] = []

_VERSION_TEMPLATE = """{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Python version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}"""


def _reformat_date(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.strftime("%a %b %e %H:%M:%S %Y")


def _machine() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def _client_version(api_version: str) -> dict[str, Any]:
    return {
        "Platform": None,
        "Version": VERSION,
        "ApiVersion": api_version,
        "DefaultAPIVersion": API_VERSION,
        "GitCommit": "",
        "GoVersion": "python" + platform.python_version(),
        "Os": platform.system().lower(),
        "Arch": _machine(),
        "BuildTime": "",
        "Context": "default",
    }


def _template(fmt: str, funcs: dict[str, Any] | None = None) -> Template:
    source = "{{json .}}" if fmt == "json" else fmt
    try:
        return Template(source, funcs)
    except TemplateError as exc:
        raise CLIError(f"template parsing error: {exc}", 64) from exc


def _execute(template: Template, data: Any) -> str:
    try:
        return template.execute(data)
    except TemplateError as exc:
        raise CLIError(f"template parsing error: {exc}") from exc


@command(
    root, name="version", use="version [OPTIONS]", help="Show the pymoby version information", max_args=0, blocking=True
)
@click.option("-f", "--format", "fmt", default="", help="Format output using a custom template")
async def version(session: Session, fmt: str) -> None:
    """Show the pymoby version information."""
    details_order = lambda component: sorted((component or {}).get("Details") or {})  # noqa: E731
    template = _template(fmt or _VERSION_TEMPLATE, {"getDetailsOrder": details_order})
    engine = session.engine()
    server: dict[str, Any] | None = None
    error: BaseException | None = None
    try:
        server = await engine.raw_version()
        api_version = await engine.api_version()
    except errdefs.PymobyError as exc:
        error = exc
        api_version = API_VERSION
    if server is not None:
        components = server.setdefault("Components", []) or []
        server["Components"] = components
        engine_found = False
        for component in components:
            if component.get("Name") == "Engine":
                engine_found = True
                details = component.setdefault("Details", {}) or {}
                if "BuildTime" in details:
                    details["BuildTime"] = _reformat_date(details["BuildTime"])
        if not engine_found:
            components.append({"Name": "Engine", "Version": server.get("Version", ""), "Details": {
                "ApiVersion": server.get("ApiVersion", ""), "MinAPIVersion": server.get("MinAPIVersion", ""),
                "GitCommit": server.get("GitCommit", ""), "GoVersion": server.get("GoVersion", ""),
                "Os": server.get("Os", ""), "Arch": server.get("Arch", ""),
                "BuildTime": _reformat_date(server.get("BuildTime", "")),
                "Experimental": str(bool(server.get("Experimental"))).lower()}})  # fmt: skip
        server.setdefault("Platform", {"Name": ""})
    data = {"Client": _client_version(api_version), "Server": as_template_data(server) if server else None}
    writer = TabWriter(20, 1, 1)
    try:
        writer.write(template.execute(data))
    except TemplateError as exc:
        if error is None:
            error = CLIError(f"template: {exc}")
    writer.write("\n")
    session.out.write(writer.flush())
    if error is not None:
        raise error


def _client_info_lines(session: Session) -> list[str]:
    return [
        "Client:",
        f" Version:    {VERSION}",
        " Context:    default",
        f" Debug Mode: {str(session.options.debug).lower()}",
    ]


def _server_info_lines(info: dict[str, Any], username: str, debug: bool) -> list[str]:
    lines: list[str] = []

    def add(label: str, value: Any) -> None:
        lines.append(f"{label} {_go(value)}")

    def non_empty(label: str, value: str) -> None:
        if value:
            lines.append(f"{label} {value}")

    add(" Containers:", info.get("Containers", 0))
    add("  Running:", info.get("ContainersRunning", 0))
    add("  Paused:", info.get("ContainersPaused", 0))
    add("  Stopped:", info.get("ContainersStopped", 0))
    add(" Images:", info.get("Images", 0))
    non_empty(" Server Version:", info.get("ServerVersion") or "")
    non_empty(" Storage Driver:", info.get("Driver") or "")
    for pair in info.get("DriverStatus") or []:
        lines.append(f"  {pair[0]}: {pair[1]}")
    for pair in info.get("SystemStatus") or []:
        lines.append(f" {pair[0]}: {pair[1]}")
    non_empty(" Logging Driver:", info.get("LoggingDriver") or "")
    non_empty(" Cgroup Driver:", info.get("CgroupDriver") or "")
    non_empty(" Cgroup Version:", info.get("CgroupVersion") or "")
    plugins = info.get("Plugins") or {}
    lines.append(" Plugins:")
    lines.append("  Volume: " + " ".join(plugins.get("Volume") or []))
    lines.append("  Network: " + " ".join(plugins.get("Network") or []))
    if plugins.get("Authorization"):
        lines.append("  Authorization: " + " ".join(plugins["Authorization"]))
    lines.append("  Log: " + " ".join(plugins.get("Log") or []))
    if info.get("CDISpecDirs"):
        lines.append(" CDI spec directories:")
        lines.extend(f"  {d}" for d in info["CDISpecDirs"])
    swarm = info.get("Swarm") or {}
    add(" Swarm:", swarm.get("LocalNodeState", ""))
    if info.get("Runtimes"):
        add(" Runtimes:", " ".join(info["Runtimes"]))
        add(" Default Runtime:", info.get("DefaultRuntime", ""))
    if info.get("OSType") == "linux":
        add(" Init Binary:", info.get("InitBinary", ""))
        add(" containerd version:", (info.get("ContainerdCommit") or {}).get("ID", ""))
        add(" runc version:", (info.get("RuncCommit") or {}).get("ID", ""))
        add(" init version:", (info.get("InitCommit") or {}).get("ID", ""))
        if info.get("SecurityOptions"):
            lines.append(" Security Options:")
            for option in info["SecurityOptions"]:
                fields = dict(part.partition("=")[::2] for part in option.split(","))
                lines.append("  " + fields.get("name", option))
                if "profile" in fields:
                    lines.append("   Profile: " + fields["profile"])
    non_empty(" Kernel Version:", info.get("KernelVersion") or "")
    non_empty(" Operating System:", info.get("OperatingSystem") or "")
    non_empty(" OSType:", info.get("OSType") or "")
    non_empty(" Architecture:", info.get("Architecture") or "")
    add(" CPUs:", info.get("NCPU", 0))
    add(" Total Memory:", bytes_size(info.get("MemTotal", 0)))
    non_empty(" Name:", info.get("Name") or "")
    non_empty(" ID:", info.get("ID") or "")
    add(" Docker Root Dir:", info.get("DockerRootDir", ""))
    add(" Debug Mode:", bool(info.get("Debug")))
    if info.get("Debug") or debug:
        add("  File Descriptors:", info.get("NFd", 0))
        add("  Goroutines:", info.get("NGoroutines", 0))
        add("  System Time:", info.get("SystemTime", ""))
        add("  EventsListeners:", info.get("NEventsListener", 0))
    non_empty(" HTTP Proxy:", info.get("HttpProxy") or "")
    non_empty(" HTTPS Proxy:", info.get("HttpsProxy") or "")
    non_empty(" No Proxy:", info.get("NoProxy") or "")
    non_empty(" Username:", username)
    if info.get("Labels"):
        lines.append(" Labels:")
        lines.extend("  " + label for label in info["Labels"])
    add(" Experimental:", bool(info.get("ExperimentalBuild")))
    registry = info.get("RegistryConfig") or {}
    if registry.get("InsecureRegistryCIDRs") or registry.get("IndexConfigs"):
        lines.append(" Insecure Registries:")
        for index in (registry.get("IndexConfigs") or {}).values():
            if not index.get("Secure", True):
                lines.append("  " + index.get("Name", ""))
        lines.extend("  " + cidr for cidr in registry.get("InsecureRegistryCIDRs") or [])
    if registry.get("Mirrors"):
        lines.append(" Registry Mirrors:")
        lines.extend("  " + m for m in registry["Mirrors"])
    add(" Live Restore Enabled:", bool(info.get("LiveRestoreEnabled")))
    if info.get("ProductLicense"):
        add(" Product License:", info["ProductLicense"])
    if info.get("DefaultAddressPools"):
        lines.append(" Default Address Pools:")
        for pool in info["DefaultAddressPools"]:
            lines.append(f"   Base: {pool.get('Base')}, Size: {pool.get('Size')}")
    lines.append("")
    return lines


def _go(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@command(
    [root, system], name="info", use="info [OPTIONS]", help="Display system-wide information", max_args=0, blocking=True
)
@click.option("-f", "--format", "fmt", default="", help="Format output using a custom template")
async def info(session: Session, fmt: str) -> None:
    """Display system-wide information."""
    template = _template(fmt) if fmt else None
    engine = session.engine()
    server: dict[str, Any] | None
    server_errors: list[str] = []
    try:
        server = await engine.raw_info()
    except errdefs.PymobyError as exc:
        from ._errors import is_daemon_error

        if not is_daemon_error(exc):
            if template is None:
                session.out.write("\n".join(_client_info_lines(session)) + "\n\nServer:\n")
            raise
        server = None
        server_errors.append(f"Error response from daemon: {exc}")
    if template is not None:
        data = dict(as_template_data(server or {}))
        if server_errors:
            data["ServerErrors"] = server_errors
        client = _client_version(await engine.api_version()) | {"Debug": session.options.debug, "Plugins": [],
                                                                 "Warnings": None}  # fmt: skip
        data["ClientInfo"] = client
        for error in server_errors:
            session.err.write(error + "\n")
        session.out.write(_execute(template, data) + "\n")
        return
    username = ""
    entry = (session.config.data.get("auths") or {}).get("https://index.docker.io/v1/") or {}
    if isinstance(entry, dict) and entry.get("auth"):
        import base64

        try:
            username = base64.b64decode(entry["auth"]).decode().partition(":")[0]
        except ValueError:
            username = ""
    lines = [*_client_info_lines(session), "", "Server:"]
    if server is not None:
        lines += _server_info_lines(server, username, session.options.debug)
    session.out.write("\n".join(lines) + "\n")
    for warning in (server or {}).get("Warnings") or []:
        session.err.write(warning + "\n")
    if server_errors:
        for error in server_errors:
            session.err.write(f"ERROR: {error}\n")
        raise CLIError("errors pretty printing info")
