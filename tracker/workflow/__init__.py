"""The takedown workflow: triage of hits, incidents, cases, recipients, notices, verified removal.

From a confirmed hit to a sent, tracked notice, with every state change in an append-only
audit log; the periodic job (``jobs.workflow_job``) acts on deadlines and re-checks locations
until their removal is verified, and notices when content comes back.
"""
