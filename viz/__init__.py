"""Pure Plotly figure builders: arrays in, ``plotly.graph_objects.Figure`` out. No streamlit."""
