"""The workbench engine: plain Python, never imports streamlit."""
