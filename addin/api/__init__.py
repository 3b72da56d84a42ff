"""REST API v1 (API.md): one blueprint per area, registered by register_api(app)."""


def register_api(app) -> None:
    from . import (  # noqa: PLC0415
        attachments, crm, erasure, graph_connection, graph_hooks, history, opportunities, outbound, process, projects,
        transfer, workspaces,
    )

    for module in (workspaces, graph_connection, crm, opportunities, history, process, projects, outbound, transfer,
                   erasure):
        app.register_api(module.bp)
    app.register_api(attachments.bp)
    app.register_api(graph_hooks.hooks)
    app.register_api(graph_hooks.status_bp)
