"""Runbook executors: where a remediation's commands actually run (AWS SSM Run Command, or the worker's
own host), the AWS credentials each company lends us, and which failures are worth retrying."""
