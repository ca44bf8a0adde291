"""Human evaluation studies: `gantool rate make / tui / report` (docs/rating.md).

A study is a folder: `index.html` for the raters (images embedded, no answer key),
`manifest.json` (protocol, item-set hash, seed, models) and `key.json` (the truth, kept
apart). Raters answer in a browser (the page exports one JSON file) or in the terminal
(`gantool rate tui`, the same JSON); `gantool rate report` pools them.

- make: `make_study`, what `gantool rate make` calls
- sources: generated images (ONNX Runtime) and real ones (any image dataset)
- study: the items, their hash, the manifest and the key; writing and reading a study
- page, page_assets: the self-contained HTML page (and reading its items back, for the terminal)
- answers: the answers file both clients write
- stats: HYPE score, hierarchical bootstrap, Bradley-Terry, agreement (numpy only)
- report: answers + key -> the numbers, written like every evaluation; view: its tables
- tui: the terminal rating app
"""
