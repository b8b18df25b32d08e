"""pymoby.daemon.server.router: one sub-package per API area (system, container, image ...).

Each router is a flat table of routes over a backend typed as a union of
small Protocols, so a test fake implements only what it needs.
"""
