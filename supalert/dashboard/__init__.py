"""The local system-health dashboard (`python deploy.py dashboard`)."""
