"""The monitor stage: the Textual dashboard (`gantool monitor`, `train --tui`) and `gantool plot`
(plot.py, Pillow only). Both read run directories through gantool.run only, so they can watch
any run anywhere; the dashboard writes nothing but control commands."""
