"""The application shell: app start, main window, file workflows, start page, self-test and the undo
history view. What the panels, canvas and areas share with it lives below it (ui/doc_model.py, the
Qt adapter of the document; ui/workers.py, work off the UI thread)."""
