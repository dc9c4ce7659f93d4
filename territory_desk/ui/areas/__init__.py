"""One controller per feature area: menus, actions, docks and dialogs it installs into the main window."""
