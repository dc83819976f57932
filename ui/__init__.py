"""The Streamlit views. Each page arranges widgets and calls `viz`; no tensor maths lives here."""
