"""Evidence: calibration, validation, sensitivity analysis and the EMA Workbench adapter."""
