"""Streamlit helpers shared by the pages (no math: that lives in engine/)."""
