"""Quality and diversity metrics. numpy only: they run on arrays from any engine."""
