"""The app's screens. `areas.py` lists them for the command palette and `MspApp.open_area`."""
