"""The application shell: app start, main window, file workflows, start page, self-test, workers, the Qt adapter of the document and the undo history view."""
