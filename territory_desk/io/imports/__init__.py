"""CRM files -> project data: column mapping, accounts, reps, activity, and the import report."""
