"""One controller per feature area: the menus, actions, docks, canvas tools and overlays it installs into
the main window. Each module's ``install(window)`` builds its controller, which the window keeps in
``window.areas[name]`` (the one list is ``shell.main_window.AREAS``); areas do not import one another
(an import-linter contract) and reach the window only through its public members."""
