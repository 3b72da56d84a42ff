"""The Dealpane web service: REST API v1, task pane, workspace pages and the CLI.

Nothing is imported here: `import addin.config` or `dealpane --help` must not load Flask, the app or the
Graph SDK. The application factory is addin.app.create_app.
"""
