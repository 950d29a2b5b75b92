"""The cluster-matcher web service (reserved: the service builds on :mod:`matcher`)."""
