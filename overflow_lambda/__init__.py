"""AWS Lambda handlers of the overflow (``handler.py``) and the local stand-ins that run them
in development and tests (``local/``): see README.md."""
