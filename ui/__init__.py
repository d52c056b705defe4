"""The only non-page code that imports streamlit: menu, cached store, state keys."""
