"""One module per executor: `ssm.py` (AWS Systems Manager Run Command), `local.py` (a subprocess here)."""
